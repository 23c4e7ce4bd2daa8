"""What the served model received and answered, from PredictionLog records, as columns.

Inputs come from `:predict` requests (named tensors, one row per element of
the first axis) and from the tf.Examples of `:classify`, `:regress` and
MultiInference requests. The signature's missing markers (models/features.py:
NaN, "", a negative integer) become missing values, as the training data's
empty cells were, so TFDV counts both alike. Predictions are read from
`:predict` responses only: the other APIs answer in other shapes (class
scores, one regression value).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from models import features as F


@dataclasses.dataclass
class Served:
    """Rows of inputs (column -> one list of values, or None, per row) and outputs."""

    columns: dict[str, list] = dataclasses.field(default_factory=dict)
    rows: int = 0
    requests: int = 0
    outputs: dict[str, list[np.ndarray]] = dataclasses.field(default_factory=dict)

    def output(self, name: str) -> np.ndarray | None:
        """One row per served example of output `name` (shape rows x width), or None."""
        parts = self.outputs.get(name)
        return np.concatenate(parts) if parts else None

    def add_rows(self, rows: list[dict[str, list | None]]) -> None:
        for row in rows:
            for name in row.keys() - self.columns.keys():
                self.columns[name] = [None] * self.rows
            for name, values in self.columns.items():
                values.append(row.get(name))
            self.rows += 1


def _is_missing(value) -> bool:
    if isinstance(value, bytes | str):
        return value in (b"", F.MISSING_STRING)
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return value < 0  # MISSING_INT: any negative integer


def _clean(values) -> list | None:
    kept = [v.item() if isinstance(v, np.generic) else v for v in values]
    kept = [v for v in kept if not _is_missing(v)]
    return kept or None


def _tensor_rows(inputs) -> list[dict[str, list | None]]:
    """Named tensors of a PredictRequest -> one dict per row (first axis)."""
    import tensorflow as tf

    arrays = {name: tf.make_ndarray(proto) for name, proto in inputs.items()}
    arrays = {name: a.reshape(1, -1) if a.ndim == 0 else a for name, a in arrays.items()}
    count = max((len(a) for a in arrays.values()), default=0)
    return [
        {name: _clean(np.ravel(a[i])) for name, a in arrays.items() if len(a) == count}
        for i in range(count)
    ]


def _feature_values(feature) -> list:
    kind = feature.WhichOneof("kind")
    return list(getattr(feature, kind).value) if kind else []


def _example_rows(request_input) -> list[dict[str, list | None]]:
    """tf.Examples of an Input (a context's features added to each) -> one dict per example."""
    kind = request_input.WhichOneof("kind")
    if kind == "example_list":
        examples, context = request_input.example_list.examples, {}
    elif kind == "example_list_with_context":
        with_context = request_input.example_list_with_context
        examples, context = with_context.examples, dict(with_context.context.features.feature)
    else:
        return []
    return [
        {
            name: _clean(_feature_values(f))
            for name, f in {**context, **dict(e.features.feature)}.items()
        }
        for e in examples
    ]


def _response_outputs(response) -> dict[str, np.ndarray]:
    import tensorflow as tf

    found = {}
    for name, proto in response.outputs.items():
        array = tf.make_ndarray(proto)
        if np.issubdtype(array.dtype, np.number) and array.ndim >= 1:
            found[name] = array.reshape(len(array), -1).astype(np.float64)
    return found


def served(records) -> Served:
    """The inputs and outputs of `records` (PredictionLog), in record order."""
    result = Served()
    for record in records:
        kind = record.WhichOneof("log_type")
        entry = getattr(record, kind) if kind else None
        if entry is None:
            continue
        result.requests += 1
        if kind == "predict_log":
            result.add_rows(_tensor_rows(entry.request.inputs))
            for name, array in _response_outputs(entry.response).items():
                result.outputs.setdefault(name, []).append(array)
        else:
            result.add_rows(_example_rows(entry.request.input))
    return result


def _arrow_type(values: list):
    import pyarrow as pa

    sample = next((v[0] for v in values if v), None)
    if isinstance(sample, bytes | str):
        return pa.binary()
    if isinstance(sample, float):
        return pa.float32()
    return pa.int64()


def _as_bytes(values: list | None) -> list | None:
    return None if values is None else [v.encode() if isinstance(v, str) else v for v in values]


def statistics(result: Served):
    """TFDV statistics of the served inputs, with the default options StatisticsGen uses."""
    import pyarrow as pa
    import tensorflow_data_validation as tfdv
    from tensorflow_data_validation.statistics import stats_impl

    arrays, names = [], []
    for name, values in sorted(result.columns.items()):
        kind = _arrow_type(values)
        if kind == pa.binary():
            values = [_as_bytes(v) for v in values]
        arrays.append(pa.array(values, type=pa.list_(kind)))
        names.append(name)
    batch = pa.RecordBatch.from_arrays(arrays, names)
    return stats_impl.generate_statistics_in_memory(batch, tfdv.StatsOptions())
