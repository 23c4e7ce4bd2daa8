"""Pushed versions with their evidence, read from ML Metadata and the serving folder.

Every version the Pusher wrote is a `PushedModel` artifact in ML Metadata;
walking its events gives the run, the evaluation that blessed it, the
trained model, the code fingerprint and the data it came from.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os

import ml_metadata as mlmd
from ml_metadata.proto import metadata_store_pb2

from models import layout
from pipeline.components.evaluator.results import overall_metrics
from pipeline.metadata import store as S


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


def blessing_metrics(
    store: mlmd.MetadataStore, blessing: metadata_store_pb2.Artifact | None
) -> dict[str, float]:
    """Overall eval metrics of the evaluation behind a blessing; {} when it is gone."""
    if blessing is None:
        return {}
    producer = S.producer(store, blessing.id)
    evaluation = None
    if producer:
        # The Evaluator writes the evaluation beside its blessing; the FairnessCheck,
        # whose blessing the Pusher reads, takes the Evaluator's as an input.
        evaluation = S.execution_io(store, producer.id, inputs=False).get(
            "evaluation"
        ) or S.execution_io(store, producer.id, inputs=True).get("evaluation")
    if evaluation is None or not os.path.exists(evaluation.uri):
        return {}
    return overall_metrics(evaluation.uri)[0]


def _training(store: mlmd.MetadataStore, model: metadata_store_pb2.Artifact | None):
    trainer = S.producer(store, model.id) if model else None
    config = json.loads(S.custom(trainer, "custom_config") or "{}") if trainer else {}
    return config.get("code_fingerprint", ""), config.get("seed")


def _data(store: mlmd.MetadataStore, examples: metadata_store_pb2.Artifact | None) -> str:
    if examples is None:
        return ""
    example_gen = S.producer(store, examples.id)
    folder = S.custom(example_gen, "input_base") if example_gen else ""
    return f"{folder} ({S.custom(examples, 'input_fingerprint') or 'no fingerprint'})"


def pushed_versions(metadata_path: str, base_directory: str | None = None) -> list[PushedVersion]:
    """Every version the Pusher wrote, oldest first, with its lineage.

    With `base_directory` (`<serving-dir>/<model>`), only that model's: pipelines
    of several datasets may share one store. The model is matched by name, not
    by the full path, so a serving folder that was copied or mounted elsewhere
    still finds its versions.
    """
    store = S.connect(metadata_path)
    model = os.path.basename(os.path.normpath(base_directory)) if base_directory else None
    found = []
    for pushed in S.pushed_artifacts(store):
        destination = str(S.custom(pushed, S.PUSHED_DESTINATION_PROPERTY))
        if model and os.path.basename(os.path.dirname(destination)) != model:
            continue
        pusher = S.producer(store, pushed.id)
        inputs = S.execution_io(store, pusher.id, inputs=True) if pusher else {}
        code, seed = _training(store, inputs.get("model"))
        found.append(
            PushedVersion(
                version=str(S.custom(pushed, S.PUSHED_VERSION_PROPERTY)),
                path=str(S.custom(pushed, S.PUSHED_DESTINATION_PROPERTY)),
                pushed_at=datetime.datetime.fromtimestamp(pushed.create_time_since_epoch / 1000),
                run_id=S.run_id(store, pusher.id) if pusher else "",
                metrics=blessing_metrics(store, inputs.get("model_blessing")),
                data=_data(store, inputs.get("examples")),
                code=code,
                seed=seed,
                model_uri=inputs["model"].uri if "model" in inputs else "",
            )
        )
    return sorted(found, key=lambda v: int(v.version))


def versions_on_disk(base_directory: str) -> list[str]:
    """Version folders TF Serving would load from `base_directory`, oldest first."""
    return layout.version_names(base_directory)


def rolled_back_from(base_directory: str, version: str) -> str | None:
    """The version a rollback copied into `version`, or None."""
    marker = os.path.join(base_directory, version, layout.ROLLBACK_MARKER)
    if not os.path.exists(marker):
        return None
    with open(marker) as f:
        return str(json.load(f)["rolled_back_from"])
