"""Metrics per slice that tell the story: counts beside every metric, each metric with
its confidence interval and the baseline model's value, "n/a" where a metric is
undefined, tiny slices set apart, the slices much worse than overall, in an order that
does not change from run to run.

Pure functions of the tables `pipeline.components.evaluator.results.slice_table`
builds (one row per slice value, one column per metric).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import pandas as pd

from models import scoring
from pipeline.components.evaluator.results import OVERALL
from reports import formatting

EXAMPLES, POSITIVES, MEAN_LABEL = "example_count", "positives", "mean_label"
# Undefined on a slice without positive examples (TFMA reports 0 for AUC).
NEED_POSITIVES = (scoring.AUC, "auc_precision_recall", "recall")
# Undefined on a slice without negative examples.
NEED_NEGATIVES = (scoring.AUC,)

# Metrics that are shares or probabilities: their intervals are cut to 0..1 (TFMA's
# t-interval can reach past 1 on a slice where the metric is nearly 1).
PROPORTIONS = frozenset(
    {
        scoring.AUC,
        "auc_precision_recall",
        *scoring.ACCURACY.values(),
        "precision",
        "recall",
        MEAN_LABEL,
        "mean_prediction",
    }
)
# Metrics that are never negative (losses, errors, ratios): their intervals' lower
# bound is cut to 0.
NON_NEGATIVE = frozenset({scoring.LOG_LOSS, scoring.RMSE, scoring.MAE, "calibration"})
NO_BASELINE = "–"  # the baseline column of a run without a baseline model

# How much worse than overall a slice must be to be called out: an absolute drop for
# scores in 0..1 (higher is better), a relative rise for errors (lower is better).
_DROP = {scoring.AUC: 0.1, scoring.ACCURACY["binary"]: 0.1, scoring.ACCURACY["multiclass"]: 0.1}
_RISE = {scoring.RMSE: 0.25, scoring.MAE: 0.25}


def with_counts(table: pd.DataFrame, *, binary: bool) -> pd.DataFrame:
    """`table` with a positives column after the example count (binary tasks: the mean
    label times the examples), and metrics undefined on a one-class slice set to NaN."""
    table = table.copy()
    if not binary or MEAN_LABEL not in table or EXAMPLES not in table:
        return table
    positives = (table[MEAN_LABEL] * table[EXAMPLES]).round()
    table.insert(table.columns.get_loc(EXAMPLES) + 1, POSITIVES, positives)
    for metric in NEED_POSITIVES:
        for column in (metric, baseline_column(metric)):
            if column in table:
                table.loc[positives == 0, column] = math.nan
    for metric in NEED_NEGATIVES:
        for column in (metric, baseline_column(metric)):
            if column in table:
                table.loc[positives == table[EXAMPLES], column] = math.nan
    return table


def baseline_column(metric: str) -> str:
    return f"baseline {metric}"


def with_baseline(
    table: pd.DataFrame, baseline: pd.DataFrame, feature: str, metric: str | None
) -> pd.DataFrame:
    """`table` with the baseline model's `metric` of each slice after the candidate's
    (NaN throughout when the Evaluator had no baseline: the first run)."""
    if metric is None or metric not in table:
        return table
    found = baseline.set_index(feature)[metric] if metric in baseline else pd.Series(dtype=float)
    table = table.copy()
    where = table.columns.get_loc(metric) + 1
    table.insert(where, baseline_column(metric), table[feature].map(found).astype(float))
    return table


def intervals(metrics: pd.DataFrame, feature: str) -> dict[tuple[str, str], tuple[float, float]]:
    """(slice value, metric) -> the candidate's 95% interval, for the slices of `feature`."""
    if "lower" not in metrics:
        return {}
    rows = metrics[(metrics["slice"] == feature) & (metrics["model"] == "candidate")]
    rows = rows.dropna(subset=["lower", "upper"])
    keys = zip(rows["value of slice"].astype(str), rows["metric"], strict=True)
    return dict(zip(keys, zip(rows["lower"], rows["upper"], strict=True), strict=True))


def readable(
    table: pd.DataFrame,
    feature: str,
    bounds: dict[tuple[str, str], tuple[float, float]],
    *,
    has_baseline: bool,
) -> pd.DataFrame:
    """`table` written for reading: each metric with its interval ("0.949 (0.91–0.97)"),
    "n/a" where undefined, the baseline column "–" when there was no baseline."""
    shown = table.copy()
    for column in table.columns:
        if column in (feature, EXAMPLES, POSITIVES):
            continue
        if column.startswith(baseline_column("")):
            texts = [_baseline_text(v, has_baseline) for v in table[column]]
        else:
            texts = [
                _metric_text(column, v, bounds.get((str(key), column)))
                for key, v in zip(table[feature], table[column], strict=True)
            ]
        shown[column] = pd.Series(texts, index=table.index, dtype=object)
    return shown


def overall_readable(
    table: pd.DataFrame, bounds: dict[tuple[str, str], tuple[float, float]]
) -> pd.DataFrame:
    """The overall metrics table (`overall_table`) written for reading: the candidate's
    value with its interval, `bounds` being `intervals(metrics, OVERALL)`."""
    shown = table.copy()
    if "candidate" in table.columns:
        texts = [
            _metric_text(metric, value, bounds.get(("", metric)))
            for metric, value in zip(table["metric"], table["candidate"], strict=True)
        ]
        shown["candidate"] = pd.Series(texts, index=table.index, dtype=object)
    return shown


def _baseline_text(value: float, has_baseline: bool) -> str:
    if not has_baseline:
        return NO_BASELINE
    return "n/a" if pd.isna(value) else formatting.format_number(value)


def _metric_text(metric: str, value: float, bounds: tuple[float, float] | None) -> str:
    if pd.isna(value):
        return "n/a"
    bounds = clipped(metric, bounds)
    if bounds is None:
        return formatting.format_number(value)
    return formatting.with_interval(value, *bounds)


def clipped(metric: str, bounds: tuple[float, float] | None) -> tuple[float, float] | None:
    """`metric`'s interval cut to the values it can take (shares 0..1, losses from 0)."""
    if bounds is None:
        return None
    lower, upper = bounds
    if metric in PROPORTIONS or metric in NON_NEGATIVE:
        lower = max(lower, 0.0)
    if metric in PROPORTIONS:
        upper = min(upper, 1.0)
    return (float(lower), float(upper))


def by_size(table: pd.DataFrame, min_examples: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(slices with at least `min_examples` examples, the others): a metric over a
    handful of examples is mostly noise."""
    if EXAMPLES not in table:
        return table, table.iloc[0:0]
    large = table[EXAMPLES] >= min_examples
    return table[large].reset_index(drop=True), table[~large].reset_index(drop=True)


def in_natural_order(table: pd.DataFrame, feature: str) -> pd.DataFrame:
    """Slices by value: numbers (hours, months) numerically, names alphabetically. Not
    by size: sizes change with the data, and a table must read the same every run."""
    order = formatting.value_order(table[feature].astype(str))
    position = {value: i for i, value in enumerate(order)}
    return table.sort_values(feature, key=lambda c: c.astype(str).map(position), ignore_index=True)


def ordered_metrics(metrics: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """The long-form metrics (`results.load_metrics`) in a fixed order: the overall slice
    first, then each of `features` in the configured order (any other slice after them),
    each feature's values in natural order; rows of one slice keep theirs."""
    names = [OVERALL, *features]
    names += sorted(set(metrics["slice"]) - set(names))
    values = metrics["value of slice"].astype(str)
    rank: dict[tuple[str, str], tuple[int, int]] = {}
    for i, feature in enumerate(names):
        found = formatting.value_order(set(values[metrics["slice"] == feature]))
        rank.update({(feature, value): (i, j) for j, value in enumerate(found)})
    keys = [rank[key] for key in zip(metrics["slice"], values, strict=True)]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return metrics.iloc[order].reset_index(drop=True)


def much_worse(value: float, overall: float, metric: str) -> bool:
    """Whether a slice's `value` of `metric` is much worse than the `overall` one."""
    if any(pd.isna(v) for v in (value, overall)):
        return False
    if metric in _DROP:
        return overall - value > _DROP[metric]
    if metric in _RISE:
        return value > overall * (1 + _RISE[metric])
    return False


def threshold_words(metric: str) -> str:
    """How `much_worse` judges `metric`, in words."""
    if metric in _DROP:
        return f"{metric} more than {_DROP[metric]:g} below overall"
    if metric in _RISE:
        return f"{metric} more than {_RISE[metric]:.0%} above overall"
    return ""


@dataclasses.dataclass(frozen=True)
class Outlier:
    """One slice much worse than overall."""

    feature: str
    value: str
    metric: str
    measured: float
    overall: float
    examples: int
    positives: int | None

    def sentence(self) -> str:
        counts = f"{self.examples:,} examples"
        if self.positives is not None:
            counts += f", {self.positives:,} positive"
        return (
            f"{self.feature} = {self.value}: {self.metric} {self.measured:.3f} against "
            f"{self.overall:.3f} overall ({counts})."
        )


def outliers(table: pd.DataFrame, feature: str, metric: str, overall: float) -> list[Outlier]:
    """The slices of `table` (already limited to slices large enough to judge) much worse
    than `overall`, worst first."""
    if metric not in table:
        return []
    found = [
        Outlier(
            feature=feature,
            value=str(row[feature]),
            metric=metric,
            measured=float(row[metric]),
            overall=float(overall),
            examples=int(row[EXAMPLES]) if EXAMPLES in row else 0,
            positives=int(row[POSITIVES])
            if POSITIVES in row and pd.notna(row[POSITIVES])
            else None,
        )
        for _, row in table.iterrows()
        if much_worse(row[metric], overall, metric)
    ]
    lower_is_better = metric in _RISE
    return sorted(found, key=lambda o: o.measured, reverse=lower_is_better)
