"""ML Metadata: the one place that knows how a run is recorded in it.

TFX records each pipeline as a `pipeline` context, each run as a child
`pipeline_run` context, each component's execution in a `node` context
named `<pipeline>.<component id>`, and artifacts through INPUT/OUTPUT events
whose path names the channel key. Every reader of a finished run (summary,
reports, lineage, versions) walks the store with these functions.
"""

from __future__ import annotations

import os

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2

from pipeline import defaults

# What TFX's Pusher records on its PushedModel artifact (private names in TFX).
PUSHED_PROPERTY = "pushed"
PUSHED_VERSION_PROPERTY = "pushed_version"
PUSHED_DESTINATION_PROPERTY = "pushed_destination"
PUSHED_MODEL_TYPE = "PushedModel"
# Where TFX keeps an execution's result (a failed gate's outcome) in ML Metadata.
EXECUTION_RESULT_PROPERTY = "__execution_result__"

# An execution's state in words a person reads.
STATE_WORDS = {
    metadata_store_pb2.Execution.COMPLETE: "executed",
    metadata_store_pb2.Execution.CACHED: "cached",
    metadata_store_pb2.Execution.FAILED: "failed",
    metadata_store_pb2.Execution.RUNNING: "running",
    metadata_store_pb2.Execution.NEW: "running",
    metadata_store_pb2.Execution.CANCELED: "canceled",
}

OUTPUT_EVENTS = (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT)
INPUT_EVENTS = (metadata_store_pb2.Event.INPUT, metadata_store_pb2.Event.DECLARED_INPUT)


class NoStoreError(FileNotFoundError):
    """There is no ML Metadata store where one was expected."""


def connect(metadata_path: str | os.PathLike, *, read_only: bool = True) -> mlmd.MetadataStore:
    """The SQLite store at `metadata_path`; read-only never creates tables in a store the
    pipeline owns."""
    from tfx.orchestration import metadata

    if not os.path.isfile(metadata_path):
        raise NoStoreError(
            f"No ML Metadata store at {metadata_path}: run the pipeline first "
            f"(it keeps {defaults.METADATA_FILE} in its pipeline root)."
        )
    config = metadata.sqlite_metadata_connection_config(str(metadata_path))
    if read_only:
        config.sqlite.connection_mode = config.sqlite.READONLY
    return mlmd.MetadataStore(config)


def state_word(execution) -> str:
    return STATE_WORDS.get(execution.last_known_state, str(execution.last_known_state))


def custom(node, key: str):
    """A custom property's string or int value, or None when it is not set."""
    value = node.custom_properties.get(key)
    if value is None:
        return None
    return value.string_value or value.int_value


def node_id(store: mlmd.MetadataStore, execution) -> str:
    """The component id an execution belongs to."""
    node_type = store.get_context_type("node")
    for ctx in store.get_contexts_by_execution(execution.id):
        if ctx.type_id == node_type.id:
            return ctx.name.split(".", 1)[-1]
    return store.get_execution_types_by_id([execution.type_id])[0].name


def runs(store: mlmd.MetadataStore, pipeline_name: str | None = None) -> list:
    """`pipeline_run` contexts, newest first, of one pipeline or of every pipeline."""
    pipelines = store.get_contexts_by_type("pipeline")
    if pipeline_name is not None:
        pipelines = [c for c in pipelines if c.name == pipeline_name]
    found = [run for p in pipelines for run in store.get_children_contexts_by_context(p.id)]
    return sorted(found, key=lambda c: (c.create_time_since_epoch, c.id), reverse=True)


def latest_run(store: mlmd.MetadataStore, pipeline_name: str):
    """The newest `pipeline_run` context of `pipeline_name`, or None."""
    found = runs(store, pipeline_name)
    return found[0] if found else None


def pipeline_of(store: mlmd.MetadataStore, run) -> str:
    """The pipeline name of a `pipeline_run` context."""
    return store.get_parent_contexts_by_context(run.id)[0].name


def run_id(store: mlmd.MetadataStore, execution_id: int) -> str:
    """The pipeline run an execution belongs to, or ""."""
    for ctx in store.get_contexts_by_execution(execution_id):
        if store.get_context_types_by_id([ctx.type_id])[0].name == "pipeline_run":
            return ctx.name
    return ""


def artifacts_by_key(
    store: mlmd.MetadataStore, executions, event_types
) -> dict[tuple[str, str], object]:
    """Artifacts of `executions` as TFX artifacts, keyed by (component id, channel key)."""
    from tfx.types import (
        artifact_utils,
        standard_artifacts,  # noqa: F401 - registers the artifact classes
    )

    node_of = {e.id: node_id(store, e) for e in executions}
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


def producer(store: mlmd.MetadataStore, artifact_id: int):
    """The execution that first produced an artifact (later ones are cached re-links), or None."""
    events = [e for e in store.get_events_by_artifact_ids([artifact_id]) if e.type in OUTPUT_EVENTS]
    if not events:
        return None
    first = min(events, key=lambda e: e.execution_id)
    return store.get_executions_by_id([first.execution_id])[0]


def execution_io(
    store: mlmd.MetadataStore, execution_id: int, *, inputs: bool
) -> dict[str, metadata_store_pb2.Artifact]:
    """An execution's input (or output) artifacts, as ML Metadata protos, by channel key."""
    kinds = INPUT_EVENTS if inputs else OUTPUT_EVENTS
    events = [
        e
        for e in store.get_events_by_execution_ids([execution_id])
        if e.type in kinds and e.path.steps
    ]
    by_id = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
    return {e.path.steps[0].key: by_id[e.artifact_id] for e in events}


def as_tfx_artifact(store: mlmd.MetadataStore, artifact: metadata_store_pb2.Artifact):
    """An ML Metadata artifact proto as the TFX artifact class of its type."""
    from tfx.types import artifact_utils

    artifact_type = store.get_artifact_types_by_id([artifact.type_id])[0]
    return artifact_utils.deserialize_artifact(artifact_type, artifact)


def pushed_artifacts(store: mlmd.MetadataStore) -> list[metadata_store_pb2.Artifact]:
    """Every PushedModel artifact that records a version actually pushed."""
    return [
        p for p in store.get_artifacts_by_type(PUSHED_MODEL_TYPE) if custom(p, PUSHED_PROPERTY) == 1
    ]
