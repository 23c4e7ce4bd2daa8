"""The Evaluator's verdict: TFMA metrics overall and per slice, thresholds, blessing, baseline."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import pandas as pd

from models import scoring
from pipeline import steps
from pipeline.components.evaluator.plots import OverallPlots, overall_plots
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
    # Model ("candidate", "baseline") -> its curves on the overall slice (binary tasks).
    plots: dict[str, OverallPlots] = dataclasses.field(default_factory=dict)


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
        plots=overall_plots(artifact.uri),
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
    table: pd.DataFrame,
    feature: str,
    metric: str,
    overall: float | None,
    draw: Callable[..., str],
    bounds: dict[tuple[str, str], tuple[float, float]],
) -> str | None:
    """`metric` of the largest slices of `table` (already limited to slices large enough
    to judge), in natural order for hours and the like, with their intervals (`bounds`,
    as `slices.intervals` gives them)."""
    if metric not in table.columns:
        return None
    top = table.head(SLICE_CHART_LIMIT).dropna(subset=[metric])
    if top.empty:
        return None
    top = slices.in_natural_order(top, feature)
    rows = list(zip(top[feature].astype(str), top[metric], strict=True))
    intervals = [slices.clipped(metric, bounds.get((label, metric))) for label, _ in rows]
    return draw(
        charts.slice_metric, rows, overall, f"{metric} by {feature}", metric, tuple(intervals)
    )


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
    bounds: dict[str, dict[tuple[str, str], tuple[float, float]]],
    min_examples: int,
) -> None:
    baseline = has_baseline(evaluation)
    for feature, (large, small) in tables.items():
        shown = functools.partial(
            slices.readable, feature=feature, bounds=bounds[feature], has_baseline=baseline
        )
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


# How each model's curves are labelled, candidate first.
_MODEL_NAMES = {"candidate": "this model", "baseline": "baseline"}


def _share_positive(calibration: pd.DataFrame) -> float:
    examples = calibration["examples"].sum()
    return float((calibration["examples"] * calibration["share_positive"]).sum() / examples)


def curve_charts(plots: dict[str, OverallPlots], draw: Callable[..., str]) -> list[str]:
    """ROC, precision-recall and calibration charts of the overall slice, each model a
    line; none without plots (multi-class and regression tasks)."""
    models = {_MODEL_NAMES[m]: plots[m] for m in _MODEL_NAMES if m in plots}
    if "this model" not in models:
        return []
    roc, pr, calibration = {}, {}, {}
    for name, p in models.items():
        curve = p.curve
        roc[name] = [curve["false_positive_rate"].tolist(), curve["recall"].tolist()]
        # A threshold above every prediction predicts no positive: no precision.
        predicted = curve[curve["true_positives"] + curve["false_positives"] > 0]
        pr[name] = [predicted["recall"].tolist(), predicted["precision"].tolist()]
        buckets = p.calibration
        calibration[name] = [
            buckets["mean_prediction"].tolist(),
            buckets["share_positive"].tolist(),
        ]
    rate = _share_positive(models["this model"].calibration)
    diagonal = [[0.0, 1.0], [0.0, 1.0]]
    return [
        draw(
            charts.curves,
            roc,
            "ROC curve",
            "false positive rate",
            "true positive rate (recall)",
            diagonal,
            "chance",
            False,
        ),
        draw(
            charts.curves,
            pr,
            "Precision-recall curve",
            "recall",
            "precision",
            [[0.0, 1.0], [rate, rate]],
            "chance (share of positives)",
            False,
        ),
        draw(
            charts.curves,
            calibration,
            "Calibration",
            "mean predicted probability (bucket)",
            "share of positives",
            diagonal,
            "perfectly calibrated",
            True,
        ),
    ]


def _show_curves(section: Section, evaluation: Evaluation, draw: Callable[..., str]) -> None:
    svgs = curve_charts(evaluation.plots, draw)
    if not svgs:
        return
    section.heading("Curves (overall slice, eval split)")
    section.note(
        "ROC and precision-recall: each point is one decision threshold on the predicted "
        "probability. Calibration: the eval examples in buckets of predicted probability; "
        "a calibrated model's points lie on the diagonal."
    )
    section.charts(svgs)


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
    shown = slices.overall_readable(overall, slices.intervals(evaluation.metrics, OVERALL))
    section.table("overall", overall, shown=shown, css_class="intervals")
    section.note(
        "The candidate's metrics carry their 95% confidence interval (below). "
        "Look for: metrics well above the thresholds (and above the trivial predictor's, "
        "see the skill check), and slices (below) where the model is much worse than "
        "overall."
    )
    if with_charts:
        _show_curves(section, evaluation, chart_cache.drawer(run.pipeline_root))
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
    bounds = {feature: slices.intervals(evaluation.metrics, feature) for feature in tables}
    _show_slices(section, evaluation, tables, bounds, min_examples)
    chart_list = []
    draw = chart_cache.drawer(run.pipeline_root)
    for feature, table in judged.items():
        if with_charts and metric and not table.empty:
            value = candidate.get(metric)
            chart = _slice_chart(table, feature, metric, value, draw, bounds[feature])
            chart_list += [chart] if chart else []
    if chart_list:
        section.heading(f"{metric} per slice (largest slices)")
        section.charts(chart_list)
    return section
