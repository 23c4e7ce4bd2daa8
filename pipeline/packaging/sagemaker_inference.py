"""SageMaker TensorFlow Serving pre/post-processing, shipped as `code/inference.py`.

`python -m pipeline package sagemaker` copies this file into the model archive
with `features.json` (each raw feature's type) beside it. SageMaker's TF
Serving container imports it and calls `input_handler` before and
`output_handler` after each TF Serving REST call. It accepts what a person has
at hand, raw rows as a JSON list of objects or CSV with a header, fills absent
optional columns with the signature's missing markers and sends TF Serving's
`{"instances": [...]}`; a body that already has "instances" or "inputs" passes
through. Standard library only: the container does not have this project.
"""

from __future__ import annotations

import csv
import io
import json
import os

FEATURES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "features.json")

# The serving signature's missing markers (models/features.py).
_MISSING = {"float": float("nan"), "int": -1, "string": ""}


def load_features(path: str = FEATURES_FILE) -> dict[str, str]:
    """Raw feature name -> "float" | "int" | "string", written at packaging time."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _typed(value, kind: str):
    if value is None or value == "":
        return _MISSING[kind]
    if kind == "int":
        return int(float(value))
    if kind == "float":
        return float(value)
    return str(value)


def to_instances(rows: list[dict], features: dict[str, str]) -> list[dict]:
    """One TF Serving instance per raw row, every feature present and typed."""
    return [{name: _typed(row.get(name), kind) for name, kind in features.items()} for row in rows]


def _rows(body: bytes, content_type: str):
    text = body.decode("utf-8")
    if content_type.startswith("text/csv"):
        return list(csv.DictReader(io.StringIO(text)))
    if content_type.startswith("application/json"):
        return json.loads(text)
    raise ValueError(
        f"unsupported content type {content_type!r}: send application/json or text/csv"
    )


def input_handler(data, context):
    """Request body (stream) -> TF Serving REST request JSON."""
    payload = _rows(data.read(), context.request_content_type or "application/json")
    if isinstance(payload, dict) and ("instances" in payload or "inputs" in payload):
        return json.dumps(payload)
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list) or not all(isinstance(r, dict) for r in payload):
        raise ValueError("expected a JSON object or a list of objects, one per example")
    return json.dumps({"instances": to_instances(payload, load_features())})


def output_handler(data, context):
    """TF Serving response -> (body, content type); errors are raised with TF Serving's text."""
    if data.status_code != 200:
        raise ValueError(data.content.decode("utf-8"))
    return data.content, "application/json"
