"""The chain from a served version back to its data files, read from ML Metadata.

served version -> pushed model -> blessing (FairnessCheck, Evaluator) and
evaluation -> trained model (Trainer run, hyperparameters, Tuner) ->
transform graph -> schema -> examples -> data files (sha256 recorded at run
time, compared with the files on disk now) and the git commit of the code.

Every link is an ML Metadata artifact and the execution that produced it,
walked with the store helpers every reader of a run uses (`store.py`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from models.hparams import read_hparams
from pipeline.components.blessing import EVALUATOR_BLESSED_PROPERTY
from pipeline.components.fairness_check.artifacts import FAIRNESS_BLOCKED_PROPERTY
from pipeline.fingerprints import file_sha256
from pipeline.metadata import store as S
from pipeline.metadata.versions import blessing_metrics


class LineageError(LookupError):
    """The version cannot be traced; the message says why."""


@dataclasses.dataclass(frozen=True)
class Link:
    """One artifact of the chain and the execution that produced it."""

    name: str  # what it is in the chain: "model", "schema", ...
    artifact_id: int
    uri: str
    producer: str  # component id
    execution_id: int
    run_id: str
    details: dict


@dataclasses.dataclass(frozen=True)
class DataFile:
    path: str  # relative to the data folder
    sha256: str  # recorded when the pushing run started
    now: str  # "unchanged", "changed" or "missing"


@dataclasses.dataclass(frozen=True)
class Lineage:
    version: str
    path: str
    links: tuple[Link, ...]
    metrics: dict[str, float]
    hyperparameters: dict
    data_root: str
    data_files: tuple[DataFile, ...]
    git_commit: str
    git_dirty: bool
    code_fingerprint: str

    def link(self, name: str) -> Link | None:
        return next((link for link in self.links if link.name == name), None)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True)


def _link(store, name: str, artifact, details: dict | None = None) -> tuple[Link, object]:
    """The link of `artifact` and its producing execution."""
    execution = S.producer(store, artifact.id)
    if execution is None:
        raise LineageError(f"no execution in ML Metadata produced the {name} (#{artifact.id})")
    link = Link(
        name=name,
        artifact_id=artifact.id,
        uri=artifact.uri,
        producer=S.node_id(store, execution),
        execution_id=execution.id,
        run_id=S.run_id(store, execution.id),
        details=details or {},
    )
    return link, execution


def _property(execution, key: str) -> str:
    value = S.custom(execution, key)
    return "" if value is None else str(value)


def _pushed_artifact(store, version: str):
    pushed = S.pushed_artifacts(store)
    for artifact in pushed:
        if str(S.custom(artifact, S.PUSHED_VERSION_PROPERTY)) == version:
            return artifact
    known = sorted((str(S.custom(p, S.PUSHED_VERSION_PROPERTY)) for p in pushed), key=int)
    raise LineageError(
        f"Version {version} was never pushed by this pipeline "
        f"(pushed versions: {', '.join(known) or 'none'})."
    )


def _required(inputs: dict, key: str, of: str):
    if key not in inputs:
        raise LineageError(f"the {of} execution recorded no {key!r} input")
    return inputs[key]


def _data_files(data_root: str, recorded: list) -> tuple[DataFile, ...]:
    files = []
    for path, sha in recorded:
        full = Path(data_root) / path
        if not full.is_file():
            now = "missing"
        else:
            now = "unchanged" if file_sha256(full) == sha else "changed"
        files.append(DataFile(path=path, sha256=sha, now=now))
    return tuple(files)


def _json_property(execution, key: str) -> dict:
    text = _property(execution, key)
    return json.loads(text) if text else {}


def trace(metadata_path: str, version: str) -> Lineage:
    """The lineage of pushed `version`; LineageError when a link cannot be resolved."""
    from tfx.utils import path_utils

    store = S.connect(metadata_path)
    pushed = _pushed_artifact(store, version)
    links = []
    pushed_link, pusher = _link(
        store,
        "pushed model",
        pushed,
        {"destination": _property(pushed, S.PUSHED_DESTINATION_PROPERTY)},
    )
    links.append(pushed_link)
    provenance = _json_property(pusher, "provenance")
    pusher_inputs = S.execution_io(store, pusher.id, inputs=True)

    blessing = _required(pusher_inputs, "model_blessing", "Pusher")
    blessing_link, fairness_check = _link(
        store,
        "blessing",
        blessing,
        {
            "blessed": S.custom(blessing, "blessed") == 1,
            "evaluator_blessed": S.custom(blessing, EVALUATOR_BLESSED_PROPERTY) == 1,
            "fairness_blocked": S.custom(blessing, FAIRNESS_BLOCKED_PROPERTY) == 1,
        },
    )
    links.append(blessing_link)
    evaluation = _required(
        S.execution_io(store, fairness_check.id, inputs=True), "evaluation", blessing_link.producer
    )
    metrics = blessing_metrics(store, blessing)
    links.append(_link(store, "evaluation", evaluation, {"metrics": metrics})[0])
    for key in ("fairness", "attributions"):
        if key in pusher_inputs:
            links.append(_link(store, key, pusher_inputs[key])[0])

    model = _required(pusher_inputs, "model", "Pusher")
    hparams = read_hparams(path_utils.serving_model_path(model.uri)) or {}
    model_link, trainer = _link(store, "model", model)
    trainer_config = json.loads(_property(trainer, "custom_config") or "{}")
    model_link.details.update(
        {
            "hyperparameters": hparams,
            "seed": trainer_config.get("seed"),
            "code_fingerprint": trainer_config.get("code_fingerprint", ""),
        }
    )
    links.append(model_link)
    trainer_inputs = S.execution_io(store, trainer.id, inputs=True)
    if "hyperparameters" in trainer_inputs:
        links.append(_link(store, "tuned hyperparameters", trainer_inputs["hyperparameters"])[0])

    graph = _required(trainer_inputs, "transform_graph", "Trainer")
    graph_link, transform = _link(store, "transform graph", graph)
    links.append(graph_link)
    transform_inputs = S.execution_io(store, transform.id, inputs=True)

    schema = _required(transform_inputs, "schema", "Transform")
    schema_link, schema_gen = _link(store, "schema", schema)
    schema_link.details["schema_file"] = _property(schema_gen, "schema_file")
    links.append(schema_link)

    examples = _required(transform_inputs, "examples", "Transform")
    examples_link, example_gen = _link(store, "examples", examples)
    examples_link.details.update(
        {
            "input_base": _property(example_gen, "input_base"),
            "input_fingerprint": _property(examples, "input_fingerprint"),
        }
    )
    links.append(examples_link)

    data_root = provenance.get("data_root") or examples_link.details["input_base"]
    return Lineage(
        version=version,
        path=str(S.custom(pushed, S.PUSHED_DESTINATION_PROPERTY)),
        links=tuple(links),
        metrics=metrics,
        hyperparameters=hparams,
        data_root=data_root,
        data_files=_data_files(data_root, provenance.get("data_files", [])),
        git_commit=provenance.get("git_commit", ""),
        git_dirty=bool(provenance.get("git_dirty", False)),
        code_fingerprint=provenance.get("code_fingerprint", ""),
    )
