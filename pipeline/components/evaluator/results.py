"""The one reader of what the Evaluator wrote: TFMA metrics, thresholds and their results.

TFX keeps the reader of a component's output beside the component
(`stats_artifact_utils` beside StatisticsGen); this is the same for the
Evaluator. The run summary, the reports, the model card, the fairness check
and `versions` all read an evaluation through these functions.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from pipeline.components.evaluator.eval_config import SUMMARY_METRICS

OVERALL = "Overall"
# The long-form metrics' columns (`load_metrics`).
METRIC_COLUMNS = ["slice", "value of slice", "model", "metric", "value", "lower", "upper"]
# TFMA's name for the baseline model in a comparison (tfma.BASELINE_KEY).
BASELINE_MODEL = "baseline"
# Metrics shown first in tables, in this order; any other scalar metric follows.
MAIN_METRICS = (*SUMMARY_METRICS, "mean_label", "mean_prediction")


def _read_metrics(evaluation_uri: str) -> list:
    """TFMA's metrics per slice, read in full.

    TFMA reads its files with TensorFlow's deprecated `tf_record_iterator`, and
    TensorFlow logs that as a warning (on stdout and stderr, in a notebook) that
    no reader of results can act on; silenced for these reads only.
    """
    import tensorflow_model_analysis as tfma
    from tensorflow.python.util import deprecation

    with deprecation.silence():
        return list(tfma.load_metrics(evaluation_uri))


def _read_validation_result(evaluation_uri: str):
    """TFMA's validation result (the thresholds' outcome), read as `_read_metrics` reads."""
    import tensorflow_model_analysis as tfma
    from tensorflow.python.util import deprecation

    with deprecation.silence():
        return tfma.load_validation_result(evaluation_uri)


def metric_number(value) -> float | None:
    """The number in a TFMA `MetricValue` (plain or bounded), or None for other kinds."""
    if value.HasField("double_value"):
        return value.double_value.value
    if value.HasField("bounded_value"):
        return value.bounded_value.value.value
    return None


_CLASS_ID = re.compile(r"\[class (\d+)\]")


def with_class(name: str, class_id: int | None) -> str:
    """A metric's key among one slice's metrics: its name, and the class it is of (binarized)."""
    return name if class_id is None else f"{name}[class {class_id}]"


def with_class_names(name: str, class_names: tuple[str, ...]) -> str:
    """`with_class`'s key with the class's name for its id, e.g. "recall[Gentoo]"."""

    def named(match: re.Match) -> str:
        index = int(match.group(1))
        return f"[{class_names[index]}]" if index < len(class_names) else match.group(0)

    return _CLASS_ID.sub(named, name)


def _key_name(key) -> str:
    class_id = key.sub_key.class_id.value if key.sub_key.HasField("class_id") else None
    return with_class(key.name, class_id)


def _decoded(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def overall_metrics(evaluation_uri: str) -> tuple[dict[str, float], dict[str, float]]:
    """(candidate, baseline) metrics of the overall slice; baseline is empty without one."""

    candidate, baseline = {}, {}
    for metrics in _read_metrics(evaluation_uri):
        if metrics.slice_key.single_slice_keys:
            continue
        for entry in metrics.metric_keys_and_values:
            key, value = entry.key, entry.value
            if key.is_diff or key.sub_key.ByteSize():
                continue
            number = metric_number(value)
            if number is None:
                continue
            target = baseline if key.model_name == BASELINE_MODEL else candidate
            target[key.name] = number
    return candidate, baseline


def single_feature_slice_metrics(evaluation_uri: str, features: tuple[str, ...]) -> dict:
    """(feature, slice value) -> {metric key: value} of the candidate, for one-feature slices.

    A metric of one class against the rest is keyed `with_class(name, class id)`.
    """
    import tensorflow_model_analysis as tfma

    found: dict[tuple[str, str], dict[str, float]] = {}
    for per_slice in _read_metrics(evaluation_uri):
        key = tfma.slicer.deserialize_slice_key(per_slice.slice_key)
        if len(key) != 1 or key[0][0] not in features:
            continue
        values = found.setdefault((key[0][0], _decoded(key[0][1])), {})
        for entry in per_slice.metric_keys_and_values:
            if entry.key.model_name == BASELINE_MODEL or entry.key.is_diff:
                continue
            number = metric_number(entry.value)
            if number is not None:
                values[_key_name(entry.key)] = number
    return found


def _describe_failure(slice_name: str, failure) -> str:
    value = failure.metric_value.double_value.value
    threshold = failure.metric_threshold
    if failure.metric_key.is_diff:
        allowed = threshold.change_threshold.absolute.value
        return (
            f"{slice_name}: {failure.metric_key.name} changed by {value:+.4f} against the "
            f"baseline model (at least {allowed:+.4f} is required)"
        )
    bound = threshold.value_threshold.lower_bound.value
    return f"{slice_name}: {failure.metric_key.name} = {value:.4f}, below the required {bound:.4f}"


def failed_thresholds(evaluation_uri: str) -> list[str]:
    """One sentence per threshold the candidate failed, naming the slice and the numbers."""
    import tensorflow_model_analysis as tfma

    result = _read_validation_result(evaluation_uri)
    failures = []
    for per_slice in result.metric_validations_per_slice:
        key = tfma.slicer.deserialize_slice_key(per_slice.slice_key)
        slice_name = tfma.slicer.stringify_slice_key(key) or OVERALL
        failures += [_describe_failure(slice_name, f) for f in per_slice.failures]
    return failures


# --- tables ---------------------------------------------------------------------------------


def _slice(slice_key) -> tuple[str, str]:
    import tensorflow_model_analysis as tfma

    key = tfma.slicer.deserialize_slice_key(slice_key)
    if not key:
        return OVERALL, ""
    columns = "_X_".join(str(column) for column, _ in key)
    values = "_X_".join(_decoded(value) for _, value in key)
    return columns, values


def _bounds(entry) -> tuple[float, float]:
    """The 95% confidence interval TFMA computed for a metric, or NaNs without one."""
    if not entry.HasField("confidence_interval"):
        return math.nan, math.nan
    interval = entry.confidence_interval
    lower, upper = metric_number(interval.lower_bound), metric_number(interval.upper_bound)
    return (math.nan if lower is None else lower), (math.nan if upper is None else upper)


def _model(key) -> str:
    role = "baseline" if key.model_name == BASELINE_MODEL else "candidate"
    return f"{role} change" if key.is_diff else role


def load_metrics(evaluation_uri: str) -> pd.DataFrame:
    """Every scalar TFMA metric of the evaluation, one row per slice/model/metric, with
    its 95% confidence interval (`lower`, `upper`; NaN where TFMA computed none).

    A metric of one class against the rest is named `with_class(name, class id)`.
    The model's own compiled Keras metrics are left out: TFMA reports them
    without `example_weighted`, and the thresholds apply to TFMA's metrics.
    """

    rows = []
    for per_slice in _read_metrics(evaluation_uri):
        feature, value = _slice(per_slice.slice_key)
        for entry in per_slice.metric_keys_and_values:
            key = entry.key
            number = metric_number(entry.value)
            if number is None or not key.HasField("example_weighted"):
                continue
            if key.sub_key.ByteSize() and not key.sub_key.HasField("class_id"):
                continue
            lower, upper = _bounds(entry)
            rows.append(
                {
                    "slice": feature,
                    "value of slice": value,
                    "model": _model(key),
                    "metric": _key_name(key),
                    "value": number,
                    "lower": lower,
                    "upper": upper,
                }
            )
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


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


def slicing_features(evaluation_uri: str) -> tuple[str, ...]:
    """The features the evaluation was sliced by one at a time, in the order its config
    lists them (the dataset's `slices`, then the fairness features): TFMA writes its
    slices in whatever order its workers finish."""
    from tensorflow_model_analysis.writers import eval_config_writer

    eval_config = eval_config_writer.load_eval_run(evaluation_uri)[0]
    single = (tuple(s.feature_keys) for s in eval_config.slicing_specs)
    return tuple(dict.fromkeys(keys[0] for keys in single if len(keys) == 1))


def load_thresholds(evaluation_uri: str, metrics: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """(one row per threshold the eval config set, with its result; TFMA's validation_ok)."""
    from tensorflow_model_analysis.metrics import metric_specs
    from tensorflow_model_analysis.writers import eval_config_writer

    eval_config = eval_config_writer.load_eval_run(evaluation_uri)[0]
    result = _read_validation_result(evaluation_uri)
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
        if key.model_name == BASELINE_MODEL:
            # TFMA lists the bars for the baseline model too; only the candidate is judged.
            continue
        for spec, threshold in per_slice:
            # The configured bars are all on the overall slice (evaluator/eval_config.py).
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


def overall_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Metric per row; candidate, and baseline and change when there is a baseline."""
    overall = metrics[metrics["slice"] == OVERALL]
    table = overall.pivot_table(index="metric", columns="model", values="value", aggfunc="first")
    order = [m for m in MAIN_METRICS if m in table.index]
    order += sorted(m for m in table.index if m not in order)
    columns = [c for c in ("candidate", "baseline", "candidate change") if c in table.columns]
    return table.reindex(index=order, columns=columns).reset_index().rename_axis(columns=None)


def slice_table(
    metrics: pd.DataFrame, slice_feature: str, model: str = "candidate"
) -> pd.DataFrame:
    """`model`'s main metrics for each value of `slice_feature`, largest slices first
    (equal sizes by value, so the order is the same from one run to the next)."""
    rows = metrics[(metrics["slice"] == slice_feature) & (metrics["model"] == model)]
    table = rows.pivot_table(
        index="value of slice", columns="metric", values="value", aggfunc="first"
    )
    columns = [m for m in MAIN_METRICS if m in table.columns]
    table = table.reindex(columns=columns)
    if "example_count" in table.columns:
        # pivot_table sorts by value; a stable sort keeps that order among equal sizes.
        table = table.sort_values("example_count", ascending=False, kind="stable")
    table = table.reset_index().rename(columns={"value of slice": slice_feature})
    return table.rename_axis(columns=None)
