"""Pushed versions with their evidence, and rolling serving back to one of them.

Every version the Pusher wrote is a `PushedModel` artifact in ML Metadata;
walking its events gives the run, the evaluation that blessed it, the
trained model, the code fingerprint and the data it came from.

A rollback copies an earlier blessed version into a new, highest version
number (atomically, as the Pusher does). Every server that follows the
`latest` version policy, TensorFlow Serving included, then serves it within
its poll interval, and the history of versions stays intact.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import time

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata
from tfx.types import artifact_utils

from pipeline.pusher import next_version, push_atomically

ROLLBACK_MARKER = os.path.join("assets.extra", "rollback.json")
_PUSHED_MODEL = "PushedModel"


@dataclasses.dataclass(frozen=True)
class PushedVersion:
    """One version the Pusher wrote, with where it came from."""

    version: str
    path: str
    pushed_at: datetime.datetime
    run_id: str
    metrics: dict[str, float]
    data: str  # ExampleGen's input folder and its fingerprint
    code: str  # fingerprint of models/ at training time
    seed: int | None
    model_uri: str


class RollbackError(ValueError):
    """The requested rollback is not possible; the message says why."""


def _store(metadata_path: str) -> mlmd.MetadataStore:
    if not os.path.exists(metadata_path):
        raise FileNotFoundError(f"No ML Metadata store at {metadata_path}: run the pipeline first.")
    return mlmd.MetadataStore(metadata.sqlite_metadata_connection_config(metadata_path))


def _custom(node, key: str):
    value = node.custom_properties.get(key)
    if value is None:
        return None
    return value.string_value or value.int_value


def _producer(store: mlmd.MetadataStore, artifact_id: int) -> metadata_store_pb2.Execution | None:
    events = [
        e
        for e in store.get_events_by_artifact_ids([artifact_id])
        if e.type in (e.OUTPUT, e.DECLARED_OUTPUT)
    ]
    if not events:
        return None
    # The first producer; later events are cached executions re-linking it.
    first = min(events, key=lambda e: e.execution_id)
    return store.get_executions_by_id([first.execution_id])[0]


def _io(
    store: mlmd.MetadataStore, execution_id: int, inputs: bool
) -> dict[str, metadata_store_pb2.Artifact]:
    kinds = (
        (metadata_store_pb2.Event.INPUT, metadata_store_pb2.Event.DECLARED_INPUT)
        if inputs
        else (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT)
    )
    events = [
        e
        for e in store.get_events_by_execution_ids([execution_id])
        if e.type in kinds and e.path.steps
    ]
    by_id = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in events])}
    return {e.path.steps[0].key: by_id[e.artifact_id] for e in events}


def _run_id(store: mlmd.MetadataStore, execution_id: int) -> str:
    for ctx in store.get_contexts_by_execution(execution_id):
        if store.get_context_types_by_id([ctx.type_id])[0].name == "pipeline_run":
            return ctx.name
    return ""


def _metrics(store: mlmd.MetadataStore, blessing: metadata_store_pb2.Artifact | None) -> dict:
    from pipeline.summary import overall_metrics

    if blessing is None:
        return {}
    producer = _producer(store, blessing.id)
    evaluation = None
    if producer:
        # The Evaluator writes the evaluation beside its blessing; the FairnessCheck,
        # whose blessing the Pusher reads, takes the Evaluator's as an input.
        evaluation = _io(store, producer.id, inputs=False).get("evaluation") or _io(
            store, producer.id, inputs=True
        ).get("evaluation")
    if evaluation is None or not os.path.exists(evaluation.uri):
        return {}
    artifact_type = store.get_artifact_types_by_id([evaluation.type_id])[0]
    return overall_metrics(artifact_utils.deserialize_artifact(artifact_type, evaluation))[0]


def _training(store: mlmd.MetadataStore, model: metadata_store_pb2.Artifact | None):
    trainer = _producer(store, model.id) if model else None
    config = json.loads(_custom(trainer, "custom_config") or "{}") if trainer else {}
    return config.get("code_fingerprint", ""), config.get("seed")


def _data(store: mlmd.MetadataStore, examples: metadata_store_pb2.Artifact | None) -> str:
    if examples is None:
        return ""
    example_gen = _producer(store, examples.id)
    folder = _custom(example_gen, "input_base") if example_gen else ""
    return f"{folder} ({_custom(examples, 'input_fingerprint') or 'no fingerprint'})"


def pushed_versions(metadata_path: str) -> list[PushedVersion]:
    """Every version the Pusher wrote, oldest first, with its lineage."""
    store = _store(metadata_path)
    found = []
    for pushed in store.get_artifacts_by_type(_PUSHED_MODEL):
        if _custom(pushed, "pushed") != 1:
            continue
        pusher = _producer(store, pushed.id)
        inputs = _io(store, pusher.id, inputs=True) if pusher else {}
        code, seed = _training(store, inputs.get("model"))
        found.append(
            PushedVersion(
                version=str(_custom(pushed, "pushed_version")),
                path=str(_custom(pushed, "pushed_destination")),
                pushed_at=datetime.datetime.fromtimestamp(pushed.create_time_since_epoch / 1000),
                run_id=_run_id(store, pusher.id) if pusher else "",
                metrics=_metrics(store, inputs.get("model_blessing")),
                data=_data(store, inputs.get("examples")),
                code=code,
                seed=seed,
                model_uri=inputs["model"].uri if "model" in inputs else "",
            )
        )
    return sorted(found, key=lambda v: int(v.version))


def versions_on_disk(base_directory: str) -> list[str]:
    """Version folders TF Serving would load from `base_directory`, oldest first."""
    try:
        names = os.listdir(base_directory)
    except FileNotFoundError:
        return []
    return sorted((n for n in names if n.isdigit()), key=int)


def rolled_back_from(base_directory: str, version: str) -> str | None:
    """The version a rollback copied into `version`, or None."""
    marker = os.path.join(base_directory, version, ROLLBACK_MARKER)
    if not os.path.exists(marker):
        return None
    with open(marker) as f:
        return str(json.load(f)["rolled_back_from"])


def rollback(metadata_path: str, base_directory: str, version: str) -> str:
    """Serve `version` again by copying it to a new highest version; returns the new one."""
    known = {v.version for v in pushed_versions(metadata_path)}
    if version not in known:
        listed = ", ".join(sorted(known, key=int)) or "none"
        raise RollbackError(
            f"Version {version} was never pushed by this pipeline (pushed versions: {listed})."
        )
    source = os.path.join(base_directory, version)
    if not os.path.isdir(source):
        raise RollbackError(f"Version {version} is no longer on disk at {source}.")
    on_disk = versions_on_disk(base_directory)
    if on_disk and on_disk[-1] == version:
        raise RollbackError(f"Version {version} is already the one being served.")

    def mark(staging: str) -> None:
        marker = os.path.join(staging, ROLLBACK_MARKER)
        os.makedirs(os.path.dirname(marker), exist_ok=True)
        with open(marker, "w") as f:
            json.dump({"rolled_back_from": version, "at": time.time()}, f)

    new_version = next_version(base_directory, time.time())
    push_atomically(source, base_directory, new_version, mark)
    return new_version
