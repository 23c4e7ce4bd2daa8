"""The Evaluator's verdict: TFMA metrics overall and per slice, thresholds, blessing, baseline."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd

from models import features as F
from pipeline import pipeline as P
from pipeline.evaluation import metric_number
from pipeline.summary import SUMMARY_METRICS
from reports import chart_cache, charts
from reports.artifacts import Run
from reports.section import Section

OVERALL = "Overall"
# Metrics shown first, in this order; any other scalar metric follows.
MAIN_METRICS = (*SUMMARY_METRICS, "mean_label", "mean_prediction")
SLICE_CHART_METRIC = "auc"
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


def _slice(slice_key) -> tuple[str, str]:
    import tensorflow_model_analysis as tfma

    key = tfma.slicer.deserialize_slice_key(slice_key)
    if not key:
        return OVERALL, ""
    columns = "_X_".join(str(column) for column, _ in key)
    values = "_X_".join(
        value.decode() if isinstance(value, bytes) else str(value) for _, value in key
    )
    return columns, values


def _model(key) -> str:
    import tensorflow_model_analysis as tfma

    role = "baseline" if key.model_name == tfma.BASELINE_KEY else "candidate"
    return f"{role} change" if key.is_diff else role


def load_metrics(uri: str) -> pd.DataFrame:
    """Every scalar TFMA metric of the evaluation at `uri`, one row per slice/model/metric.

    The model's own compiled Keras metrics are left out: TFMA reports them
    without `example_weighted`, and the thresholds apply to TFMA's metrics.
    """
    import tensorflow_model_analysis as tfma

    rows = []
    for per_slice in tfma.load_metrics(uri):
        feature, value = _slice(per_slice.slice_key)
        for entry in per_slice.metric_keys_and_values:
            key = entry.key
            number = metric_number(entry.value)
            if number is None or key.sub_key.ByteSize() or not key.HasField("example_weighted"):
                continue
            rows.append(
                {
                    "slice": feature,
                    "value of slice": value,
                    "model": _model(key),
                    "metric": key.name,
                    "value": number,
                }
            )
    return pd.DataFrame(rows, columns=["slice", "value of slice", "model", "metric", "value"])


def _bound(threshold) -> str:
    from tensorflow_model_analysis.proto import config_pb2

    parts = []
    if isinstance(threshold, config_pb2.GenericChangeThreshold):
        if threshold.HasField("absolute"):
            parts.append(f"change >= {threshold.absolute.value:+g} against the baseline")
        if threshold.HasField("relative"):
            parts.append(f"relative change >= {threshold.relative.value:+g}")
        return "; ".join(parts)
    if threshold.HasField("lower_bound"):
        parts.append(f">= {threshold.lower_bound.value:g}")
    if threshold.HasField("upper_bound"):
        parts.append(f"<= {threshold.upper_bound.value:g}")
    return " and ".join(parts)


def load_thresholds(uri: str, metrics: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """(one row per threshold the eval config set, with its result; TFMA's validation_ok)."""
    import tensorflow_model_analysis as tfma
    from tensorflow_model_analysis.metrics import metric_specs
    from tensorflow_model_analysis.writers import eval_config_writer

    eval_config = eval_config_writer.load_eval_run(uri)[0]
    result = tfma.load_validation_result(uri)
    failed = set()
    for per_slice in result.metric_validations_per_slice:
        feature, value = _slice(per_slice.slice_key)
        for failure in per_slice.failures:
            failed.add((feature, value, failure.metric_key.name, failure.metric_key.is_diff))
    rows = []
    thresholds = metric_specs.metric_thresholds_from_metrics_specs(
        eval_config.metrics_specs, eval_config
    )
    for key, per_slice in thresholds.items():
        if key.model_name == tfma.BASELINE_KEY:
            # TFMA lists the bars for the baseline model too; only the candidate is judged.
            continue
        for spec, threshold in per_slice:
            # The configured bars are all on the overall slice (pipeline/evaluation.py).
            feature, value = (
                (OVERALL, "")
                if not spec or not spec.feature_keys
                else ("_X_".join(spec.feature_keys), "")
            )
            model = _model(key)
            measured = metrics[
                (metrics["slice"] == feature)
                & (metrics["model"] == model)
                & (metrics["metric"] == key.name)
            ]["value"]
            rows.append(
                {
                    "metric": key.name,
                    "slice": feature,
                    "required": _bound(threshold),
                    "measured": measured.iloc[0] if len(measured) else float("nan"),
                    "result": "FAILED"
                    if (feature, value, key.name, key.is_diff) in failed
                    else "passed",
                }
            )
    columns = ["metric", "slice", "required", "measured", "result"]
    return pd.DataFrame(rows, columns=columns), bool(result.validation_ok)


def load(run: Run) -> Evaluation | None:
    """This run's evaluation, or None when the Evaluator produced none."""
    from tfx.components.evaluator import constants

    artifact = run.output(P.EVALUATOR, "evaluation")
    if artifact is None:
        return None
    metrics = load_metrics(artifact.uri)
    thresholds, ok = load_thresholds(artifact.uri, metrics)
    blessing = run.output(P.EVALUATOR, "blessing")
    baseline = run.inputs.get((P.EVALUATOR, "baseline_model"))
    return Evaluation(
        metrics=metrics,
        thresholds=thresholds,
        validation_ok=ok,
        blessed=None
        if blessing is None
        else blessing.get_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY) == 1,
        baseline_uri=baseline.uri if baseline is not None else None,
    )


def overall_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Metric per row; candidate, and baseline and change when there is a baseline."""
    overall = metrics[metrics["slice"] == OVERALL]
    table = overall.pivot_table(index="metric", columns="model", values="value", aggfunc="first")
    order = [m for m in MAIN_METRICS if m in table.index]
    order += sorted(m for m in table.index if m not in order)
    columns = [c for c in ("candidate", "baseline", "candidate change") if c in table.columns]
    return table.reindex(index=order, columns=columns).reset_index().rename_axis(columns=None)


def slice_table(metrics: pd.DataFrame, slice_feature: str) -> pd.DataFrame:
    """The candidate's main metrics for each value of `slice_feature`, largest slices first."""
    rows = metrics[(metrics["slice"] == slice_feature) & (metrics["model"] == "candidate")]
    table = rows.pivot_table(
        index="value of slice", columns="metric", values="value", aggfunc="first"
    )
    columns = [m for m in MAIN_METRICS if m in table.columns]
    table = table.reindex(columns=columns)
    if "example_count" in table.columns:
        table = table.sort_values("example_count", ascending=False)
    table = table.reset_index().rename(columns={"value of slice": slice_feature})
    return table.rename_axis(columns=None)


def _slice_chart(
    table: pd.DataFrame, feature: str, overall: float | None, draw: Callable[..., str]
) -> str | None:
    if SLICE_CHART_METRIC not in table.columns:
        return None
    top = table.head(SLICE_CHART_LIMIT).dropna(subset=[SLICE_CHART_METRIC])
    if "example_count" in top.columns:
        top = top[top["example_count"] >= SLICE_CHART_MIN_EXAMPLES]
    if top.empty:
        return None
    rows = list(zip(top[feature].astype(str), top[SLICE_CHART_METRIC], strict=True))
    return draw(charts.slice_metric, rows, overall, f"{SLICE_CHART_METRIC} by {feature}")


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
        section.not_produced(run.why_missing(P.EVALUATOR, "evaluation"))
        return section
    _verdict(section, evaluation)
    section.heading("Thresholds")
    section.table("thresholds", evaluation.thresholds)
    section.heading("Overall metrics (eval split)")
    overall = overall_table(evaluation.metrics)
    section.table("overall", overall)
    section.note(
        "Look for: AUC and accuracy well above the thresholds, calibration near 1, and "
        "slices (below) where the model is much worse than overall. On a slice with a single "
        "class (all or no big tippers) AUC is undefined and TFMA reports 0."
    )
    candidate = overall.set_index("metric").get("candidate", pd.Series(dtype=float))
    chart_list = []
    draw = chart_cache.drawer(run.pipeline_root)
    for feature in F.SLICE_FEATURES:
        table = slice_table(evaluation.metrics, feature)
        section.heading(f"By {feature}")
        section.table(f"by {feature}", table)
        if with_charts and not table.empty:
            chart = _slice_chart(table, feature, candidate.get(SLICE_CHART_METRIC), draw)
            chart_list += [chart] if chart else []
    if chart_list:
        section.heading(f"{SLICE_CHART_METRIC} per slice (largest slices)")
        section.charts(chart_list)
    return section
