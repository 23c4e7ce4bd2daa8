"""A pipeline run's artifacts, found through ML Metadata.

`open_run()` opens the newest run under the default pipeline root; a pipeline
root, a pipeline name or a run id narrow it down. A run that failed or
stopped early is opened all the same: what it did not produce is `None`, and
`Run.why_missing` says why in words a report can show.
"""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata
from tfx.types import artifact_utils, standard_artifacts  # noqa: F401 - registers artifact classes

from pipeline import pipeline as P
from pipeline.summary import gate_outcome
from run_local import DEFAULT_OUTPUTS

DEFAULT_PIPELINE_ROOT = DEFAULT_OUTPUTS / "pipeline"
METADATA_FILE = "metadata.sqlite"

# The project pipeline's steps in DAG order: a run that stopped early lacks
# the later ones, and the report still lists them as "did not run".
PIPELINE_STEPS = (
    P.EXAMPLE_GEN,
    P.STATISTICS_GEN,
    P.SCHEMA_GEN,
    P.EXAMPLE_VALIDATOR,
    P.ACCEPTED_DATA_RESOLVER,
    P.DATA_GATE,
    P.TRANSFORM,
    P.TRAINER,
    P.BASELINE_RESOLVER,
    P.EVALUATOR,
    P.FAIRNESS_CHECK,
    P.ATTRIBUTIONS,
    P.PUSHER,
)

_STATE_WORDS = {
    metadata_store_pb2.Execution.COMPLETE: "executed",
    metadata_store_pb2.Execution.CACHED: "cached",
    metadata_store_pb2.Execution.FAILED: "failed",
    metadata_store_pb2.Execution.RUNNING: "running",
    metadata_store_pb2.Execution.NEW: "running",
    metadata_store_pb2.Execution.CANCELED: "canceled",
}


class NoRunError(LookupError):
    """There is no pipeline run to report on."""


@dataclasses.dataclass(frozen=True)
class Step:
    """One component's execution in a run."""

    node_id: str
    state: str  # executed / cached / failed / running / canceled
    started: datetime.datetime
    seconds: float


@dataclasses.dataclass
class Run:
    """One pipeline run: its steps and the artifacts they read and wrote."""

    pipeline_root: Path
    pipeline_name: str
    run_id: str
    started: datetime.datetime
    steps: dict[str, Step]
    outputs: dict[tuple[str, str], object]  # (node id, output key) -> TFX artifact
    inputs: dict[tuple[str, str], object]  # (node id, input key) -> TFX artifact
    # The latest earlier run whose StatisticsGen saw other data, for drift.
    previous_run_id: str | None = None
    previous_statistics: object | None = None
    # The data gate's decision (pipeline.gate.GateOutcome), passed or blocked.
    gate: object | None = None

    def output(self, node_id: str, key: str):
        """The artifact `node_id` wrote under `key` in this run, or None."""
        return self.outputs.get((node_id, key))

    def why_missing(self, node_id: str, key: str | None = None) -> str:
        """Why this run has no output of `node_id`, in one sentence."""
        step = self.steps.get(node_id)
        if step is None:
            reason = f"{node_id} did not run"
        elif step.state == "failed":
            reason = f"{node_id} failed"
        elif step.state in ("running", "canceled"):
            reason = f"{node_id} was {step.state} when the run ended"
        else:
            reason = f"{node_id} recorded no {key or 'output'}"
        return f"Not produced by this run ({reason})."

    def __repr__(self) -> str:
        root = str(self.pipeline_root)
        return f"Run({self.run_id!r}, pipeline={self.pipeline_name!r}, root={root!r})"

    def _repr_html_(self) -> str:
        from reports.overview import report

        return report(self)._repr_html_()


def metadata_path(pipeline_root: str | Path) -> Path:
    """Where the local runner keeps ML Metadata for `pipeline_root`."""
    return Path(pipeline_root) / METADATA_FILE


def _connect(pipeline_root: Path) -> mlmd.MetadataStore:
    path = metadata_path(pipeline_root)
    if not path.is_file():
        raise NoRunError(f"No pipeline run under {pipeline_root}: {path} does not exist.")
    config = metadata.sqlite_metadata_connection_config(str(path))
    # Read-only use: never create tables in a store the pipeline owns.
    config.sqlite.connection_mode = config.sqlite.READONLY
    return mlmd.MetadataStore(config)


def _time(milliseconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.timezone.utc)


def _runs(store: mlmd.MetadataStore, pipeline_name: str | None) -> list:
    """`pipeline_run` contexts, newest first, of one pipeline or of every pipeline."""
    pipelines = store.get_contexts_by_type("pipeline")
    if pipeline_name is not None:
        pipelines = [c for c in pipelines if c.name == pipeline_name]
    runs = [run for p in pipelines for run in store.get_children_contexts_by_context(p.id)]
    return sorted(runs, key=lambda c: (c.create_time_since_epoch, c.id), reverse=True)


def _pipeline_of(store: mlmd.MetadataStore, run) -> str:
    return store.get_parent_contexts_by_context(run.id)[0].name


def _node_id(store: mlmd.MetadataStore, execution) -> str:
    node_type = store.get_context_type("node")
    for ctx in store.get_contexts_by_execution(execution.id):
        if ctx.type_id == node_type.id:
            return ctx.name.split(".", 1)[-1]
    return store.get_execution_types_by_id([execution.type_id])[0].name


def _steps(store: mlmd.MetadataStore, executions) -> dict[str, Step]:
    steps = {}
    for e in sorted(executions, key=lambda e: e.create_time_since_epoch):
        node = _node_id(store, e)
        steps[node] = Step(
            node_id=node,
            state=_STATE_WORDS.get(e.last_known_state, str(e.last_known_state)),
            started=_time(e.create_time_since_epoch),
            seconds=(e.last_update_time_since_epoch - e.create_time_since_epoch) / 1000,
        )
    return steps


def _artifacts(store: mlmd.MetadataStore, executions, event_types) -> dict[tuple[str, str], object]:
    """Artifacts of `executions` as TFX artifacts, keyed by (node id, input/output key)."""
    node_of = {e.id: _node_id(store, e) for e in executions}
    events = [
        ev
        for ev in store.get_events_by_execution_ids(list(node_of))
        if ev.type in event_types and ev.path.steps
    ]
    found = {a.id: a for a in store.get_artifacts_by_id([ev.artifact_id for ev in events])}
    types = {t.id: t for t in store.get_artifact_types_by_id([a.type_id for a in found.values()])}
    artifacts = {}
    for ev in events:
        artifact = found[ev.artifact_id]
        key = (node_of[ev.execution_id], ev.path.steps[0].key)
        artifacts[key] = artifact_utils.deserialize_artifact(types[artifact.type_id], artifact)
    return artifacts


_OUTPUT_EVENTS = (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT)
_INPUT_EVENTS = (metadata_store_pb2.Event.INPUT, metadata_store_pb2.Event.DECLARED_INPUT)


def _statistics_of(store: mlmd.MetadataStore, run):
    executions = store.get_executions_by_context(run.id)
    return _artifacts(store, executions, _OUTPUT_EVENTS).get((P.STATISTICS_GEN, "statistics"))


def _previous_statistics(store: mlmd.MetadataStore, runs: list, current) -> tuple[str, object]:
    """(run id, statistics) of the newest earlier run with other statistics than `current`.

    A cached rerun reuses the same statistics artifact: comparing it with
    itself would always show no drift, so such runs are skipped.
    """
    for run in runs:
        statistics = _statistics_of(store, run)
        if statistics is not None and (current is None or statistics.id != current.id):
            return run.name, statistics
    return None, None


def open_run(
    pipeline_root: str | Path | None = None,
    *,
    run_id: str | None = None,
    pipeline_name: str | None = None,
) -> Run:
    """The run `run_id` (default: the newest run) recorded under `pipeline_root`.

    `pipeline_root` defaults to the runner's `outputs/pipeline` in this
    project; `pipeline_name` to whichever pipeline ran last there. Raises
    `NoRunError` when there is no such run.
    """
    root = Path(pipeline_root or DEFAULT_PIPELINE_ROOT).resolve()
    store = _connect(root)
    runs = _runs(store, pipeline_name)
    if run_id is not None:
        names = [r.name for r in runs]
        runs = runs[names.index(run_id) :] if run_id in names else []
    if not runs:
        which = f"run {run_id!r}" if run_id else "pipeline run"
        of = f" of pipeline {pipeline_name!r}" if pipeline_name else ""
        raise NoRunError(f"No {which}{of} in {metadata_path(root)}.")
    run, earlier = runs[0], runs[1:]
    name = _pipeline_of(store, run)
    executions = store.get_executions_by_context(run.id)
    outputs = _artifacts(store, executions, _OUTPUT_EVENTS)
    previous_id, previous = _previous_statistics(
        store,
        [r for r in earlier if _pipeline_of(store, r) == name],
        outputs.get((P.STATISTICS_GEN, "statistics")),
    )
    return Run(
        pipeline_root=root,
        pipeline_name=name,
        run_id=run.name,
        started=_time(run.create_time_since_epoch),
        steps=_steps(store, executions),
        outputs=outputs,
        inputs=_artifacts(store, executions, _INPUT_EVENTS),
        previous_run_id=previous_id,
        previous_statistics=previous,
        gate=gate_outcome(store, executions, outputs),
    )


def split_names(artifact) -> list[str]:
    """The splits (train, eval, ...) a multi-split artifact holds."""
    return artifact_utils.decode_split_names(artifact.split_names)
