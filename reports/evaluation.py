"""The Evaluator's verdict: TFMA metrics overall and per slice, thresholds, blessing, baseline."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd

from models import scoring
from pipeline import steps
from pipeline.components.evaluator.results import (
    OVERALL,
    load_metrics,
    load_thresholds,
    overall_table,
    slice_table,
)
from pipeline.metadata.run import Run
from reports import chart_cache, charts
from reports.section import Section

# The metric charted per slice: the first of these the evaluation has.
SLICE_CHART_METRICS = (
    scoring.AUC,
    scoring.ACCURACY["multiclass"],
    scoring.RMSE,
)
SLICE_CHART_LIMIT = 15  # bars per slicing feature: the slices with most examples
# AUC is undefined on a slice holding one class (TFMA reports 0): tiny slices are left out.
SLICE_CHART_MIN_EXAMPLES = 30


@dataclasses.dataclass
class Evaluation:
    """What one Evaluator execution measured and decided."""

    metrics: pd.DataFrame  # slice feature, slice value, model, metric, value (long form)
    thresholds: pd.DataFrame
    validation_ok: bool
    blessed: bool | None
    baseline_uri: str | None


def load(run: Run) -> Evaluation | None:
    """This run's evaluation, or None when the Evaluator produced none."""
    from tfx.components.evaluator import constants

    artifact = run.output(steps.EVALUATOR, "evaluation")
    if artifact is None:
        return None
    metrics = load_metrics(artifact.uri)
    thresholds, ok = load_thresholds(artifact.uri, metrics)
    blessing = run.output(steps.EVALUATOR, "blessing")
    baseline = run.inputs.get((steps.EVALUATOR, "baseline_model"))
    return Evaluation(
        metrics=metrics,
        thresholds=thresholds,
        validation_ok=ok,
        blessed=None
        if blessing is None
        else blessing.get_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY) == 1,
        baseline_uri=baseline.uri if baseline is not None else None,
    )


def slice_features(metrics: pd.DataFrame) -> list[str]:
    """The features the evaluation was sliced by, in the order it reports them."""
    return [s for s in dict.fromkeys(metrics["slice"]) if s != OVERALL and "_X_" not in s]


def chart_metric(metrics: pd.DataFrame) -> str | None:
    present = set(metrics["metric"])
    return next((m for m in SLICE_CHART_METRICS if m in present), None)


def _slice_chart(
    table: pd.DataFrame, feature: str, metric: str, overall: float | None, draw: Callable[..., str]
) -> str | None:
    if metric not in table.columns:
        return None
    top = table.head(SLICE_CHART_LIMIT).dropna(subset=[metric])
    if "example_count" in top.columns:
        top = top[top["example_count"] >= SLICE_CHART_MIN_EXAMPLES]
    if top.empty:
        return None
    rows = list(zip(top[feature].astype(str), top[metric], strict=True))
    return draw(charts.slice_metric, rows, overall, f"{metric} by {feature}")


def _verdict(section: Section, evaluation: Evaluation) -> None:
    if evaluation.blessed is None:
        section.not_produced("The Evaluator recorded no blessing.")
    elif evaluation.blessed:
        section.note("Blessed: yes, the model cleared every threshold.", "good")
    else:
        section.note("Blessed: no, see the failed thresholds below.", "bad")
    if evaluation.baseline_uri:
        section.note(f"Compared with the latest blessed model: {evaluation.baseline_uri}")
    else:
        section.note("No baseline model: this is the first blessed candidate, so no comparison.")


def report(run: Run, *, with_charts: bool = True) -> Section:
    """Blessing, thresholds, overall metrics (with baseline) and metrics per slice."""
    section = Section("Evaluation", "evaluation")
    evaluation = load(run)
    if evaluation is None:
        section.not_produced(run.why_missing(steps.EVALUATOR, "evaluation"))
        return section
    _verdict(section, evaluation)
    section.heading("Thresholds")
    section.table("thresholds", evaluation.thresholds)
    section.heading("Overall metrics (eval split)")
    overall = overall_table(evaluation.metrics)
    section.table("overall", overall)
    section.note(
        "Look for: metrics well above the thresholds (and above the trivial predictor's, "
        "see the skill check), and slices (below) where the model is much worse than "
        "overall. On a slice with a single class AUC is undefined and TFMA reports 0."
    )
    candidate = overall.set_index("metric").get("candidate", pd.Series(dtype=float))
    metric = chart_metric(evaluation.metrics)
    chart_list = []
    draw = chart_cache.drawer(run.pipeline_root)
    for feature in slice_features(evaluation.metrics):
        table = slice_table(evaluation.metrics, feature)
        section.heading(f"By {feature}")
        section.table(f"by {feature}", table)
        if with_charts and metric and not table.empty:
            chart = _slice_chart(table, feature, metric, candidate.get(metric), draw)
            chart_list += [chart] if chart else []
    if chart_list:
        section.heading(f"{metric} per slice (largest slices)")
        section.charts(chart_list)
    return section
