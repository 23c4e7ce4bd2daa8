"""What a run did, read back from ML Metadata and the artifacts it records."""

from __future__ import annotations

import dataclasses
import json
import os

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2
from rich.console import Console
from tfx.orchestration import metadata
from tfx.types import artifact_utils, standard_artifacts  # noqa: F401 - registers artifact classes

from pipeline import gate_component
from pipeline import pipeline as P
from pipeline.config import PipelineConfig
from pipeline.evaluation import metric_number
from pipeline.gate import GateOutcome

# Overall metrics shown in the summary, in this order (TFMA metric keys).
SUMMARY_METRICS = (
    "example_count",
    "auc",
    "auc_precision_recall",
    "binary_accuracy",
    "precision",
    "recall",
    "calibration",
)


@dataclasses.dataclass
class RunSummary:
    run_id: str
    executions: dict[str, str]  # component id -> "executed" / "cached" / state
    split_rows: dict[str, int]
    anomalies: dict[str, dict[str, str]]  # split -> feature -> description
    gate: GateOutcome | None  # None when the gate did not run
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]  # empty when there was no baseline model
    failed_thresholds: list[str]
    blessed: bool | None
    pushed_path: str | None
    pushed_version: str | None
    # The FairnessCheck's outcome (pipeline.fairness.FairnessOutcome); None when it did not run.
    fairness: object | None = None
    # Tuner trials, best first ({"trial_id", "score", hyperparameter values}); empty without --tune.
    tuner_trials: list = dataclasses.field(default_factory=list)
    # Raw features, most important first (permutation importance on the eval split).
    top_features: list[str] = dataclasses.field(default_factory=list)
    # The version that already holds this run's model, when the Pusher did not push it again.
    already_pushed_version: str | None = None


_STATE_WORDS = {
    metadata_store_pb2.Execution.COMPLETE: "executed",
    metadata_store_pb2.Execution.CACHED: "cached",
    metadata_store_pb2.Execution.FAILED: "failed",
    metadata_store_pb2.Execution.RUNNING: "running",
}


def _store(config: PipelineConfig) -> mlmd.MetadataStore:
    connection = metadata.sqlite_metadata_connection_config(config.metadata_path)
    return mlmd.MetadataStore(connection)


def latest_run_context(store: mlmd.MetadataStore, pipeline_name: str):
    """The newest `pipeline_run` context of `pipeline_name`, or None."""
    pipeline_ctx = store.get_context_by_type_and_name("pipeline", pipeline_name)
    if pipeline_ctx is None:
        return None
    runs = store.get_children_contexts_by_context(pipeline_ctx.id)
    return max(runs, key=lambda c: (c.create_time_since_epoch, c.id), default=None)


def _node_id(store: mlmd.MetadataStore, execution) -> str:
    for ctx in store.get_contexts_by_execution(execution.id):
        if store.get_context_types_by_id([ctx.type_id])[0].name == "node":
            return ctx.name.split(".", 1)[-1]
    return store.get_execution_types_by_id([execution.type_id])[0].name


def _outputs(store: mlmd.MetadataStore, executions) -> dict[tuple[str, str], object]:
    """Output artifacts of `executions` as TFX artifacts, keyed by (node id, output key)."""
    node_of = {e.id: _node_id(store, e) for e in executions}
    events = [
        ev
        for ev in store.get_events_by_execution_ids(list(node_of))
        if ev.type in (ev.OUTPUT, ev.DECLARED_OUTPUT) and ev.path.steps
    ]
    artifacts = {a.id: a for a in store.get_artifacts_by_id([ev.artifact_id for ev in events])}
    outputs = {}
    for ev in events:
        artifact = artifacts[ev.artifact_id]
        artifact_type = store.get_artifact_types_by_id([artifact.type_id])[0]
        key = (node_of[ev.execution_id], ev.path.steps[0].key)
        outputs[key] = artifact_utils.deserialize_artifact(artifact_type, artifact)
    return outputs


def _split_rows(statistics) -> dict[str, int]:
    import tensorflow_data_validation as tfdv

    rows = {}
    for split in artifact_utils.decode_split_names(statistics.split_names):
        path = os.path.join(statistics.uri, f"Split-{split}", "FeatureStats.pb")
        stats = tfdv.load_stats_binary(path)
        rows[split] = sum(d.num_examples for d in stats.datasets)
    return rows


def _anomalies(anomalies_artifact) -> dict[str, dict[str, str]]:
    from tensorflow_metadata.proto.v0 import anomalies_pb2

    found = {}
    for split in artifact_utils.decode_split_names(anomalies_artifact.split_names):
        path = os.path.join(anomalies_artifact.uri, f"Split-{split}", "SchemaDiff.pb")
        proto = anomalies_pb2.Anomalies()
        with open(path, "rb") as f:
            proto.ParseFromString(f.read())
        found[split] = {
            feature: info.description or info.short_description
            for feature, info in proto.anomaly_info.items()
        }
        if proto.HasField("dataset_anomaly_info"):
            found[split]["<dataset>"] = proto.dataset_anomaly_info.description
    return found


# Where TFX keeps an execution's result (a failed gate's outcome) in ML Metadata.
_EXECUTION_RESULT = "__execution_result__"


def gate_outcome(store: mlmd.MetadataStore, executions, outputs) -> GateOutcome | None:
    """The data gate's outcome: its artifact when it passed, its failure record when it blocked."""
    from tfx.utils import io_utils

    result = outputs.get((P.DATA_GATE, gate_component.RESULT_KEY))
    if result is not None:
        path = os.path.join(result.uri, gate_component.RESULT_FILE)
        return GateOutcome.from_json(io_utils.read_string_file(path))
    for execution in executions:
        recorded = execution.custom_properties.get(_EXECUTION_RESULT)
        if recorded is None or _node_id(store, execution) != P.DATA_GATE:
            continue
        message = json.loads(recorded.string_value).get("resultMessage", "")
        if message.startswith("{"):
            return GateOutcome.from_json(message)
    return None


BASELINE_MODEL = "baseline"


def overall_metrics(evaluation) -> tuple[dict[str, float], dict[str, float]]:
    """(candidate, baseline) metrics of the overall slice; baseline may be empty."""
    import tensorflow_model_analysis as tfma

    candidate, baseline = {}, {}
    for metrics in tfma.load_metrics(evaluation.uri):
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


def _failed_thresholds(evaluation) -> list[str]:
    import tensorflow_model_analysis as tfma

    result = tfma.load_validation_result(evaluation.uri)
    failures = []
    for per_slice in result.metric_validations_per_slice:
        key = tfma.slicer.deserialize_slice_key(per_slice.slice_key)
        slice_name = tfma.slicer.stringify_slice_key(key) or "Overall"
        failures += [_describe_failure(slice_name, f) for f in per_slice.failures]
    return failures


def _fairness(outputs):
    from pipeline.fairness_component import load_result

    result = outputs.get((P.FAIRNESS_CHECK, "result"))
    return load_result(result) if result is not None else None


def _tuner_trials(outputs) -> list:
    from tfx.utils import io_utils

    results = outputs.get((P.TUNER, "tuner_results"))
    if results is None:
        return []
    return json.loads(io_utils.read_string_file(os.path.join(results.uri, "tuner_results.json")))


def _top_features(outputs) -> list[str]:
    from pipeline.attributions_component import load_result

    attributions = outputs.get((P.ATTRIBUTIONS, "attributions"))
    return load_result(attributions).ranking() if attributions is not None else []


def _final_blessing(outputs):
    """The blessing the Pusher read (the FairnessCheck's), else the Evaluator's."""
    return outputs.get((P.FAIRNESS_CHECK, "blessing")) or outputs.get((P.EVALUATOR, "blessing"))


def summarize_latest_run(config: PipelineConfig) -> RunSummary:
    """Read the newest run of `config.pipeline_name` back from ML Metadata."""
    store = _store(config)
    run = latest_run_context(store, config.pipeline_name)
    if run is None:
        raise LookupError(f"No run of pipeline {config.pipeline_name!r} in {config.metadata_path}")
    executions = store.get_executions_by_context(run.id)
    states = {
        _node_id(store, e): _STATE_WORDS.get(e.last_known_state, str(e.last_known_state))
        for e in executions
    }
    outputs = _outputs(store, executions)
    statistics = outputs.get((P.STATISTICS_GEN, "statistics"))
    anomalies = outputs.get((P.EXAMPLE_VALIDATOR, "anomalies"))
    evaluation = outputs.get((P.EVALUATOR, "evaluation"))
    blessing = _final_blessing(outputs)
    pushed = outputs.get((P.PUSHER, "pushed_model"))
    fairness = _fairness(outputs)
    failed = _failed_thresholds(evaluation) if evaluation else []
    if fairness is not None and fairness.blocked:
        from pipeline.fairness import describe

        failed += [f"Fairness (blocking): {describe(gap)}" for gap in fairness.breaches]
    metrics, baseline_metrics = overall_metrics(evaluation) if evaluation else ({}, {})
    is_pushed = pushed is not None and pushed.get_int_custom_property("pushed") == 1
    return RunSummary(
        run_id=run.name,
        executions=states,
        split_rows=_split_rows(statistics) if statistics else {},
        anomalies=_anomalies(anomalies) if anomalies else {},
        gate=gate_outcome(store, executions, outputs),
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        failed_thresholds=failed,
        blessed=bool(blessing.get_int_custom_property("blessed")) if blessing else None,
        pushed_path=pushed.get_string_custom_property("pushed_destination") if is_pushed else None,
        pushed_version=pushed.get_string_custom_property("pushed_version") if is_pushed else None,
        fairness=fairness,
        tuner_trials=_tuner_trials(outputs),
        top_features=_top_features(outputs),
        already_pushed_version=(
            pushed.get_string_custom_property("already_pushed_version") or None if pushed else None
        ),
    )


def print_summary(summary: RunSummary, *, console: Console, seconds: float) -> None:
    """The end-of-run report a person reads."""
    console.print(f"\n[bold]Run {summary.run_id}[/] finished in {seconds:.1f} s")
    rows = ", ".join(f"{split} {n}" for split, n in summary.split_rows.items())
    console.print(f"  Rows:       {rows}")
    if summary.gate is not None:
        print_gate(summary.gate, console=console)
    else:
        total = sum(len(found) for found in summary.anomalies.values())
        console.print(f"  Anomalies:  {total}" + ("" if total else " (data matches the schema)"))
        for split, found in summary.anomalies.items():
            for feature, description in found.items():
                console.print(f"    [yellow]{split}/{feature}[/]: {description}")
    metrics = "  ".join(
        f"{name}={summary.metrics[name]:.4g}" for name in SUMMARY_METRICS if name in summary.metrics
    )
    console.print(f"  Eval:       {metrics or 'not evaluated'}")
    if summary.baseline_metrics:
        baseline = "  ".join(
            f"{name}={summary.baseline_metrics[name]:.4g}"
            for name in SUMMARY_METRICS
            if name in summary.baseline_metrics
        )
        console.print(f"  Baseline:   {baseline} (the latest blessed model)")
    print_model_evidence(summary, console=console)
    if summary.blessed is None:
        console.print("  Blessed:    not evaluated")
    else:
        console.print(f"  Blessed:    {'[green]yes[/]' if summary.blessed else '[red]no[/]'}")
    for failure in summary.failed_thresholds:
        console.print(f"    [red]{failure}[/]")
    if summary.pushed_path and summary.executions.get(P.PUSHER) == "cached":
        console.print(
            f"  Pushed:     nothing new; version {summary.pushed_version} from an earlier run "
            f"is at {summary.pushed_path}"
        )
    elif summary.pushed_path:
        console.print(f"  Pushed:     version {summary.pushed_version} -> {summary.pushed_path}")
    elif summary.already_pushed_version:
        console.print(
            f"  Pushed:     nothing new; this model already is version "
            f"{summary.already_pushed_version}"
        )
    else:
        console.print("  Pushed:     nothing new (the served model is unchanged)")


TOP_FEATURES_SHOWN = 5


def print_model_evidence(summary: RunSummary, *, console: Console) -> None:
    """The Tuner's search, the fairness check and the attributions, one line each."""
    if summary.tuner_trials:
        best = summary.tuner_trials[0]
        values = ", ".join(
            f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in best.items()
            if k not in ("trial_id", "score")
        )
        console.print(
            f"  Tuner:      {len(summary.tuner_trials)} trials; lowest validation log loss "
            f"{best['score']:.4f} with {values}"
        )
    if summary.fairness is not None:
        from pipeline.fairness import describe

        breaches = summary.fairness.breaches
        mode = "blocking" if summary.fairness.blocking else "reported, not blocking"
        if not breaches:
            console.print(f"  Fairness:   every error-rate gap within its limit ({mode})")
        elif summary.fairness.blocked:
            # Listed below, as the reason the model is not blessed.
            console.print(f"  Fairness:   {len(breaches)} gap(s) over the limit ({mode})")
        else:
            console.print(f"  Fairness:   {len(breaches)} gap(s) over the limit ({mode})")
            for gap in breaches:
                console.print(f"    [yellow]{describe(gap)}[/]")
    if summary.top_features:
        top = ", ".join(summary.top_features[:TOP_FEATURES_SHOWN])
        console.print(f"  Explained:  most important features {top}")


def print_gate(outcome: GateOutcome, *, console: Console) -> None:
    """The data gate's decision and every finding, blocking ones first."""
    from pipeline.gate import describe

    against = (
        "drift measured against the last accepted data"
        if outcome.compared_with
        else "no earlier accepted data to measure drift against"
    )
    verdict = "[green]passed[/]" if outcome.passed else "[red]blocked[/]"
    console.print(f"  Data gate:  {verdict}; {against}")
    for line in describe(outcome.blocking):
        console.print(f"    [red]{line}[/]")
    # Accepted with --allow-anomalies, or notes (an unknown column, too few rows).
    for line in describe([f for f in outcome.findings if not f.blocking]):
        console.print(f"    [yellow]not blocking: {line}[/]")
