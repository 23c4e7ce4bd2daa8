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
    slicing_features,
)
from pipeline.components.fairness_check.artifacts import load_result
from pipeline.config import FairnessConfig
from pipeline.metadata.run import Run
from reports import chart_cache, charts, slices
from reports.section import Section

# The metric charted per slice: the first of these the evaluation has.
SLICE_CHART_METRICS = (
    scoring.AUC,
    scoring.ACCURACY["multiclass"],
    scoring.RMSE,
)
SLICE_CHART_LIMIT = 15  # bars per slicing feature: the slices with most examples


@dataclasses.dataclass
class Evaluation:
    """What one Evaluator execution measured and decided."""

    metrics: pd.DataFrame  # slice feature, slice value, model, metric, value (long form)
    thresholds: pd.DataFrame
    validation_ok: bool
    blessed: bool | None
    baseline_uri: str | None
    # The features sliced by, in the evaluation's configured order.
    slicing: tuple[str, ...] = ()


def load(run: Run) -> Evaluation | None:
    """This run's evaluation, or None when the Evaluator produced none."""
    from tfx.components.evaluator import constants

    artifact = run.output(steps.EVALUATOR, "evaluation")
    if artifact is None:
        return None
    slicing = slicing_features(artifact.uri)
    metrics = slices.ordered_metrics(load_metrics(artifact.uri), slicing)
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
        slicing=slicing,
    )


def slice_features(evaluation: Evaluation) -> list[str]:
    """The features the evaluation was sliced by one at a time: in the configured order,
    then any other its metrics hold (alphabetically), so the tables' order is fixed."""
    found = {s for s in evaluation.metrics["slice"] if s != OVERALL and "_X_" not in s}
    configured = [f for f in evaluation.slicing if f in found]
    return configured + sorted(found - set(configured))


def chart_metric(metrics: pd.DataFrame) -> str | None:
    present = set(metrics["metric"])
    return next((m for m in SLICE_CHART_METRICS if m in present), None)


def _slice_chart(
    table: pd.DataFrame, feature: str, metric: str, overall: float | None, draw: Callable[..., str]
) -> str | None:
    """`metric` of the largest slices of `table` (already limited to slices large enough
    to judge), in natural order for hours and the like."""
    if metric not in table.columns:
        return None
    top = table.head(SLICE_CHART_LIMIT).dropna(subset=[metric])
    if top.empty:
        return None
    top = slices.in_natural_order(top, feature)
    rows = list(zip(top[feature].astype(str), top[metric], strict=True))
    return draw(charts.slice_metric, rows, overall, f"{metric} by {feature}", metric)


def min_slice_examples(run: Run) -> int:
    """Slices with fewer eval examples are too small to judge: the fairness check's
    minimum when it ran, its default otherwise."""
    artifact = run.output(steps.FAIRNESS_CHECK, "result")
    if artifact is None:
        return FairnessConfig().min_slice_examples
    return load_result(artifact).min_slice_examples


def has_baseline(evaluation: Evaluation) -> bool:
    """Whether the Evaluator also measured a baseline model (not on a first run)."""
    return "baseline" in set(evaluation.metrics["model"])


def slice_tables(
    evaluation: Evaluation, min_examples: int
) -> dict[str, tuple[pd.DataFrame, pd.DataFrame]]:
    """Slicing feature -> (its slices large enough to judge, the others), with counts and
    the baseline model's value of the chart metric beside the candidate's."""
    metrics = evaluation.metrics
    binary = scoring.AUC in set(metrics["metric"])
    metric = chart_metric(metrics)
    tables = {}
    for feature in slice_features(evaluation):
        table = slices.with_baseline(
            slice_table(metrics, feature),
            slice_table(metrics, feature, model="baseline"),
            feature,
            metric,
        )
        tables[feature] = slices.by_size(slices.with_counts(table, binary=binary), min_examples)
    return tables


def _show_slices(
    section: Section,
    evaluation: Evaluation,
    tables: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    min_examples: int,
) -> None:
    baseline = has_baseline(evaluation)
    for feature, (large, small) in tables.items():
        bounds = slices.intervals(evaluation.metrics, feature)

        def shown(table: pd.DataFrame, feature=feature, bounds=bounds) -> pd.DataFrame:
            return slices.readable(table, feature, bounds, has_baseline=baseline)

        large, small = (slices.in_natural_order(t, feature) for t in (large, small))
        section.heading(f"By {feature}")
        section.table(f"by {feature}", large, shown=shown(large), css_class="intervals")
        if not small.empty:
            section.collapsed_table(
                f"by {feature}, too small to judge",
                small,
                f"{len(small)} slice(s) with fewer than {min_examples:,} examples: "
                "too small to judge",
                shown=shown(small),
                css_class="intervals",
            )


def _callout(
    section: Section, judged: dict[str, pd.DataFrame], metric: str | None, overall: float | None
) -> None:
    """Name the slices much worse than overall, before their tables."""
    if metric is None or overall is None or pd.isna(overall):
        return
    found = [o for f, table in judged.items() for o in slices.outliers(table, f, metric, overall)]
    rule = slices.threshold_words(metric)
    if not rule:
        return
    if not found:
        section.note(f"No slice large enough to judge has {rule}.", "good")
        return
    section.note(f"Slices much worse than overall ({rule}):", "bad")
    for outlier in found:
        section.note(outlier.sentence(), "bad")


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
        "overall."
    )
    candidate = overall.set_index("metric").get("candidate", pd.Series(dtype=float))
    metric = chart_metric(evaluation.metrics)
    min_examples = min_slice_examples(run)
    section.heading("Slices")
    section.note(
        f"Each slice's example count and, for a yes/no label, its positive examples; each "
        f"metric with its 95% confidence interval, e.g. 0.949 (0.91–0.97) (TFMA's jackknife "
        f"over 20 buckets of the eval split); n/a: the metric is undefined on that slice "
        f"(AUC of a slice with one class). Baseline: the previously blessed model's value "
        f"on the same slice ({slices.NO_BASELINE} on a first run, which has none). Slices "
        f"with fewer than {min_examples:,} examples (the fairness check's minimum) are "
        "listed apart, collapsed."
    )
    tables = slice_tables(evaluation, min_examples)
    judged = {feature: large for feature, (large, _) in tables.items()}
    _callout(section, judged, metric, candidate.get(metric))
    _show_slices(section, evaluation, tables, min_examples)
    chart_list = []
    draw = chart_cache.drawer(run.pipeline_root)
    for feature, table in judged.items():
        if with_charts and metric and not table.empty:
            chart = _slice_chart(table, feature, metric, candidate.get(metric), draw)
            chart_list += [chart] if chart else []
    if chart_list:
        section.heading(f"{metric} per slice (largest slices)")
        section.charts(chart_list)
    return section
