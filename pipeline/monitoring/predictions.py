"""Served predictions against the eval split's, on shared buckets, by Jensen-Shannon distance.

The eval split's predictions are made here, by the served version's own
SavedModel on a bounded sample of the run's ExampleGen eval split (its
tf.Example signature), so both sides come from the same model. A one-value
output (a probability, a regression value) is bucketed on equal-width buckets
over the range of both; a wider one (class probabilities) by its most likely
class.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from models import layout
from pipeline.components.standard_outputs import serialized_examples

EVAL = "eval"
# Examples per call of the SavedModel: bounds the memory of one batch.
_BATCH = 500


@dataclasses.dataclass(frozen=True)
class PredictionComparison:
    output: str
    edges: list[float]  # bucket edges; for classes, len(classes) + 1 positions
    labels: list[str]  # bucket labels for charts (edges, or class indices)
    served: list[float]  # share of served rows per bucket
    eval: list[float]  # share of eval rows per bucket
    served_rows: int
    eval_rows: int
    distance: float
    threshold: float

    @property
    def over(self) -> bool:
        return self.distance > self.threshold


def eval_predictions(model_dir: str, examples_uri: str, limit: int) -> dict[str, np.ndarray]:
    """Output name -> (rows x width) predictions of up to `limit` eval examples."""
    import tensorflow as tf

    examples = serialized_examples(examples_uri, EVAL, limit)
    signature = tf.saved_model.load(model_dir).signatures[layout.EXAMPLES_SIGNATURE]
    parts: dict[str, list[np.ndarray]] = {}
    for first in range(0, len(examples), _BATCH):
        batch = tf.constant(examples[first : first + _BATCH])
        for name, tensor in signature(examples=batch).items():
            if tensor.dtype.is_floating:
                array = tensor.numpy()
                parts.setdefault(name, []).append(array.reshape(len(array), -1))
    return {name: np.concatenate(p).astype(np.float64) for name, p in parts.items()}


def _js_distance(p: np.ndarray, q: np.ndarray) -> float:
    from scipy.spatial.distance import jensenshannon

    if not p.sum() or not q.sum():
        return 0.0
    return float(jensenshannon(p, q, base=2))


def _shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    return counts / total if total else counts.astype(np.float64)


def compare(
    output: str, served: np.ndarray, reference: np.ndarray, *, buckets: int, threshold: float
) -> PredictionComparison:
    """`served` against `reference` (rows x width each) on shared buckets."""
    if served.shape[1] == 1 and reference.shape[1] == 1:
        values = np.concatenate([served[:, 0], reference[:, 0]])
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        edges = np.linspace(low, high if high > low else low + 1.0, buckets + 1)
        served_counts = np.histogram(served[:, 0], edges)[0]
        eval_counts = np.histogram(reference[:, 0], edges)[0]
        labels = [f"{e:.3g}" for e in edges]
    else:
        width = max(served.shape[1], reference.shape[1])
        served_counts = np.bincount(served.argmax(axis=1), minlength=width)
        eval_counts = np.bincount(reference.argmax(axis=1), minlength=width)
        edges = np.arange(width + 1, dtype=np.float64)
        labels = [str(i) for i in range(width)] + [""]
    p, q = _shares(served_counts), _shares(eval_counts)
    return PredictionComparison(
        output=output,
        edges=[float(e) for e in edges],
        labels=labels,
        served=[float(v) for v in p],
        eval=[float(v) for v in q],
        served_rows=len(served),
        eval_rows=len(reference),
        distance=_js_distance(p, q),
        threshold=threshold,
    )
