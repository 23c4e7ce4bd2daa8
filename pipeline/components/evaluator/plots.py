"""The reader of the Evaluator's plots: the overall slice's ROC and precision-recall
points and its calibration buckets, all from the one calibration histogram TFMA writes
for binary tasks (eval_config.py asks for it).

Beside `results.py`, which reads the Evaluator's metrics, for the same readers.
"""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from pipeline.components.evaluator.results import BASELINE_MODEL

CURVE_COLUMNS = [
    "threshold",
    "false_positive_rate",
    "recall",
    "precision",
    "true_positives",
    "false_positives",
]
BUCKET_COLUMNS = ["lower", "upper", "examples", "mean_prediction", "share_positive"]
# Buckets of predicted probability the calibration chart shows (the histogram's are
# finer, for the curves' thresholds).
CALIBRATION_BUCKETS = 10


@dataclasses.dataclass(frozen=True)
class OverallPlots:
    """One model's curves on the overall eval slice."""

    # One row per threshold, from the highest prediction down: the false positive rate,
    # recall (true positive rate), precision and counts of predicting positive at or
    # above it.
    curve: pd.DataFrame
    # One row per bucket of predicted probability holding examples: its bounds, its
    # examples, their mean prediction and the share of them that is positive.
    calibration: pd.DataFrame


def _read_plots(evaluation_uri: str) -> list:
    """TFMA's plots per slice; its deprecated record reader's warning silenced, as
    `results._read_metrics` does."""
    import tensorflow_model_analysis as tfma
    from tensorflow.python.util import deprecation

    with deprecation.silence():
        return list(tfma.load_plots(evaluation_uri))


def buckets(histogram) -> pd.DataFrame:
    """TFMA's calibration histogram, the buckets holding examples."""
    rows = []
    for bucket in histogram.buckets:
        examples = bucket.num_weighted_examples.value
        if examples <= 0:
            continue
        rows.append(
            (
                bucket.lower_threshold_inclusive,
                bucket.upper_threshold_exclusive,
                examples,
                bucket.total_weighted_refined_prediction.value / examples,
                bucket.total_weighted_label.value / examples,
            )
        )
    return pd.DataFrame(rows, columns=BUCKET_COLUMNS)


def curve(histogram: pd.DataFrame) -> pd.DataFrame:
    """The confusion matrix at each bucket's lower bound (predict positive from there
    up), from the highest threshold down: the ROC and precision-recall points."""
    ordered = histogram.sort_values("lower", ascending=False, ignore_index=True)
    positives = ordered["examples"] * ordered["share_positive"]
    negatives = ordered["examples"] - positives
    true_positives, false_positives = positives.cumsum(), negatives.cumsum()
    frame = pd.DataFrame(
        {
            "threshold": ordered["lower"],
            "false_positive_rate": false_positives / negatives.sum(),
            "recall": true_positives / positives.sum(),
            "precision": true_positives / (true_positives + false_positives),
            "true_positives": true_positives,
            "false_positives": false_positives,
        }
    )
    # Above every prediction nothing is predicted positive: the curves' other end.
    start = pd.DataFrame([[math.inf, 0.0, 0.0, math.nan, 0.0, 0.0]], columns=CURVE_COLUMNS)
    return pd.concat([start, frame], ignore_index=True)


def coarser(histogram: pd.DataFrame, count: int = CALIBRATION_BUCKETS) -> pd.DataFrame:
    """`histogram` in `count` equal buckets of predicted probability over 0..1."""
    which = (histogram["lower"].clip(0, 1 - 1e-9) * count).astype(int)
    sums = (
        pd.DataFrame(
            {
                "bucket": which,
                "examples": histogram["examples"],
                "predicted": histogram["examples"] * histogram["mean_prediction"],
                "positive": histogram["examples"] * histogram["share_positive"],
            }
        )
        .groupby("bucket", as_index=False)
        .sum()
    )
    return pd.DataFrame(
        {
            "lower": sums["bucket"] / count,
            "upper": (sums["bucket"] + 1) / count,
            "examples": sums["examples"],
            "mean_prediction": sums["predicted"] / sums["examples"],
            "share_positive": sums["positive"] / sums["examples"],
        },
        columns=BUCKET_COLUMNS,
    )


def overall_plots(evaluation_uri: str) -> dict[str, OverallPlots]:
    """Model ("candidate", "baseline") -> its plots of the overall slice; empty when the
    evaluation has none (multi-class and regression tasks, evaluations made before)."""
    found: dict[str, OverallPlots] = {}
    for per_slice in _read_plots(evaluation_uri):
        if per_slice.slice_key.single_slice_keys:
            continue
        for entry in per_slice.plot_keys_and_values:
            # TFMA writes a model's plots as one PlotData under an unnamed key.
            if entry.key.sub_key.ByteSize():
                continue
            if not entry.value.HasField("calibration_histogram_buckets"):
                continue
            histogram = buckets(entry.value.calibration_histogram_buckets)
            if histogram.empty:
                continue
            model = "baseline" if entry.key.model_name == BASELINE_MODEL else "candidate"
            found[model] = OverallPlots(curve=curve(histogram), calibration=coarser(histogram))
    return found
