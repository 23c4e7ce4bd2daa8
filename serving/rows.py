"""Raw rows (CSV or JSON) -> the named inputs a served model's `serving_default` takes.

The inputs and their types come from the model itself: its signature, as the
server's GetModelMetadata reports it (`signature_inputs`), or from a schema
(`schema_inputs`). An empty or absent optional value is sent as the
signature's missing marker (models/features.py: NaN for floats, "" for
strings, -1 for integers).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

from models import features as F
from models import layout

# Kinds of raw inputs: what a cell becomes, and how "missing" is said.
_KINDS = {
    "DT_FLOAT": "float",
    "DT_DOUBLE": "float",
    "DT_INT64": "int",
    "DT_INT32": "int",
    "DT_STRING": "string",
}
_MISSING = {"int": F.MISSING_INT, "float": F.MISSING_FLOAT, "string": F.MISSING_STRING}
_NUMPY_TYPES = {"int": np.int64, "float": np.float32, "string": object}


def signature_def(metadata: Mapping, signature: str = layout.SERVING_SIGNATURE) -> dict:
    """One signature of a GetModelMetadata answer (REST's JSON, or the gRPC client's dict)."""
    defs = metadata.get("metadata", {}).get("signature_def", {}).get("signature_def", {})
    if signature not in defs:
        raise ValueError(
            f"the model has no signature {signature!r} (it has {', '.join(sorted(defs)) or 'none'})"
        )
    return defs[signature]


def signature_inputs(metadata: Mapping, signature: str = layout.SERVING_SIGNATURE) -> dict:
    """Input name -> "int" | "float" | "string" of a served signature."""
    inputs = signature_def(metadata, signature).get("inputs", {})
    unknown = {k: v.get("dtype") for k, v in inputs.items() if v.get("dtype") not in _KINDS}
    if unknown:
        raise ValueError(f"inputs of unsupported types: {unknown}")
    return {name: _KINDS[info["dtype"]] for name, info in sorted(inputs.items())}


def schema_inputs(schema, names: Iterable[str]) -> dict[str, str]:
    """Input name -> kind of the schema's columns `names` (what `serving_default` takes)."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    kinds = {schema_pb2.INT: "int", schema_pb2.FLOAT: "float", schema_pb2.BYTES: "string"}
    types = {f.name: kinds[f.type] for f in schema.feature}
    return {name: types[name] for name in names}


def _typed(value, kind: str, missing: frozenset[str]):
    if value is None or value == "" or (isinstance(value, str) and value in missing):
        return _MISSING[kind]
    if kind == "int":
        return int(float(value))
    if kind == "float":
        return float(value)
    return str(value)


def to_instances(
    rows: Iterable[Mapping], inputs: Mapping[str, str], missing_values: Iterable[str] = ()
) -> list[dict]:
    """One dict of the model's raw inputs per row, typed.

    Absent and empty values, and cells spelled like one of `missing_values`
    (e.g. "NA"), are sent as missing. A cell that is not a number where the
    model takes one is a ValueError naming the row and the column.
    """
    missing = frozenset(missing_values)
    instances = []
    for number, row in enumerate(rows, start=1):
        instance = {}
        for name, kind in inputs.items():
            try:
                instance[name] = _typed(row.get(name), kind, missing)
            except (TypeError, ValueError):
                raise ValueError(
                    f"row {number}, column {name!r}: {row.get(name)!r} is not a number, and "
                    f"the model takes {kind}s there (if it means a missing value, say so: "
                    "--missing-values)"
                ) from None
        instances.append(instance)
    return instances


def read_rows(path: Path) -> list[dict]:
    """Rows from a CSV file with a header, or a JSON list of objects."""
    if path.suffix.lower() == ".json":
        rows = json.loads(path.read_text())
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError(f"{path}: expected a JSON list of objects, one per example")
        return rows
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def add_missing_values_argument(p) -> None:
    """--missing-values, for every command that reads rows (`missing_tokens` reads it)."""
    p.add_argument(
        "--missing-values",
        default="",
        metavar="TOKENS",
        help="comma-separated cell values that mean missing, e.g. NA (empty cells always do)",
    )


def missing_tokens(text: str) -> list[str]:
    """The tokens of --missing-values, without blanks."""
    return [token.strip() for token in text.split(",") if token.strip()]


class RowsError(ValueError):
    """The rows file cannot be read, or holds no rows: a one-line message naming it."""


def read_some_rows(path: Path, limit: int | None = None) -> list[dict]:
    """The first `limit` rows of `path` (all with None); RowsError when there are none."""
    try:
        rows = read_rows(path)[:limit]
    except (OSError, ValueError) as e:
        raise RowsError(str(e)) from e
    if not rows:
        raise RowsError(f"{path} holds no rows")
    return rows


def to_columns(instances: list[dict], inputs: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Row instances as one typed array per input (gRPC's named tensors)."""
    return {
        name: np.array([row[name] for row in instances], dtype=_NUMPY_TYPES[kind])
        for name, kind in inputs.items()
    }
