"""Raw taxi rows (CSV or JSON) -> the named inputs `serving_default` takes.

Types come from the curated schema; an empty or absent optional value is
sent as the signature's missing marker (models/features.py: NaN for floats,
"" for strings, -1 for integers).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
from tensorflow_metadata.proto.v0 import schema_pb2

from models import features as F

_MISSING = {
    schema_pb2.INT: F.MISSING_INT,
    schema_pb2.FLOAT: F.MISSING_FLOAT,
    schema_pb2.BYTES: F.MISSING_STRING,
}


def _typed(value, feature_type: int):
    if value is None or value == "":
        return _MISSING[feature_type]
    if feature_type == schema_pb2.INT:
        return int(float(value))
    if feature_type == schema_pb2.FLOAT:
        return float(value)
    return str(value)


def to_instances(rows: Iterable[Mapping], schema: schema_pb2.Schema) -> list[dict]:
    """One dict of the model's raw features per row, typed by the schema."""
    types = {f.name: f.type for f in schema.feature}
    return [
        {name: _typed(row.get(name), types[name]) for name in F.raw_model_features()}
        for row in rows
    ]


def read_rows(path: Path) -> list[dict]:
    """Rows from a CSV file with a header, or a JSON list of objects."""
    if path.suffix.lower() == ".json":
        rows = json.loads(path.read_text())
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError(f"{path}: expected a JSON list of objects, one per trip")
        return rows
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


_NUMPY_TYPES = {schema_pb2.INT: np.int64, schema_pb2.FLOAT: np.float32, schema_pb2.BYTES: object}


def to_columns(instances: list[dict], schema: schema_pb2.Schema) -> dict[str, np.ndarray]:
    """Row instances as one typed array per input (gRPC's named tensors)."""
    types = {f.name: f.type for f in schema.feature}
    return {
        name: np.array([row[name] for row in instances], dtype=_NUMPY_TYPES[types[name]])
        for name in F.raw_model_features()
    }
