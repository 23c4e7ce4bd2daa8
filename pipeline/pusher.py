"""A Pusher whose version directory appears atomically, with warmup requests and a model card.

The stock executor copies files straight into `<base>/<version>/`, so
TensorFlow Serving (which polls the base directory) can see a half-copied
version. Here the model is copied into a hidden staging directory beside it
(TF Serving only loads all-digit names), warmup requests built from eval
examples, the model card and the attributions are added, and the directory
is renamed into place in one step.

A model already on disk as some version is not pushed again: a rerun whose
only change is the recorded git commit re-executes the Pusher, and must not
undo a rollback or add a copy of the served model.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from typing import Any

from absl import logging
from tfx import types
from tfx.components.pusher import executor as pusher_executor
from tfx.dsl.components.base import base_component, executor_spec
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, component_spec, standard_artifacts, standard_component_specs
from tfx.utils import io_utils, proto_utils

from pipeline import model_card, warmup


def next_version(base_directory: str, now: float) -> str:
    """A version number newer than any already in `base_directory`."""
    existing = [int(name) for name in _listdir(base_directory) if name.isdigit()]
    return str(max([int(now), *(v + 1 for v in existing)]))


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


_STAGING = re.compile(r"^\.staging-\d+-(\d+)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(base_directory: str) -> list[str]:
    """Delete staging folders whose pushing process died (SIGKILL, power loss).

    TF Serving never loads them (their names are not numbers), but each
    holds a full model copy; a live process's folder is left alone.
    """
    removed = []
    for name in _listdir(base_directory):
        match = _STAGING.match(name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(os.path.join(base_directory, name), ignore_errors=True)
            removed.append(name)
    return removed


def push_atomically(
    model_path: str,
    base_directory: str,
    version: str,
    prepare: Callable[[str], None] | None = None,
) -> str:
    """Copy `model_path` to `<base_directory>/<version>` so it appears whole.

    `prepare(staging_dir)` may add files (warmup requests) before the rename.
    """
    os.makedirs(base_directory, exist_ok=True)
    remove_stale_staging(base_directory)
    final = os.path.join(base_directory, version)
    staging = os.path.join(base_directory, f".staging-{version}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        try:
            shutil.copytree(model_path, staging)
        except shutil.Error as e:
            # copytree gathers one (source, destination, reason) per failed file.
            reasons = e.args[0] if e.args and isinstance(e.args[0], list) else []
            reason = reasons[0][2] if reasons else str(e)
            raise OSError(f"cannot write {base_directory}: {reason}") from None
        if prepare is not None:
            prepare(staging)
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


EXAMPLES_KEY = "examples"
PROVENANCE_KEY = "provenance"
ALREADY_PUSHED_PROPERTY = "already_pushed_version"


def _evidence_inputs() -> dict:
    """Optional inputs the model card is built from (imported here: no import cycles)."""
    from pipeline.attributions_component import ModelAttributions
    from pipeline.fairness_component import FairnessResult

    return {
        "evaluation": standard_artifacts.ModelEvaluation,
        "fairness": FairnessResult,
        "attributions": ModelAttributions,
        "statistics": standard_artifacts.ExampleStatistics,
        "schema": standard_artifacts.Schema,
        "tuner_results": standard_artifacts.TunerResults,
    }


class PusherSpec(standard_component_specs.PusherSpec):
    """The stock Pusher's spec plus the examples for warmup and the model card's evidence."""

    PARAMETERS = {  # noqa: RUF012 - TFX reads specs from plain class attributes
        **standard_component_specs.PusherSpec.PARAMETERS,
        PROVENANCE_KEY: component_spec.ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {  # noqa: RUF012
        **standard_component_specs.PusherSpec.INPUTS,
        EXAMPLES_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.Examples, optional=True
        ),
        **{
            key: component_spec.ChannelParameter(type=artifact_type, optional=True)
            for key, artifact_type in _evidence_inputs().items()
        },
    }


def version_of_model(base_directory: str, model_uri: str) -> str | None:
    """The version on disk whose model card names the model at `model_uri`, if any."""
    for name in sorted(_listdir(base_directory), key=lambda n: (len(n), n)):
        if not name.isdigit():
            continue
        card = model_card.read_card(os.path.join(base_directory, name))
        if card and card["model"]["model_uri"] == model_uri:
            return name
    return None


def _single(input_dict: dict, key: str):
    artifacts = input_dict.get(key) or []
    return artifacts[0] if artifacts else None


def _loaded_evidence(input_dict: dict) -> dict:
    """The card's inputs, loaded: artifacts, or the results read from them."""
    from pipeline.attributions_component import load_result as load_attributions
    from pipeline.fairness_component import load_result as load_fairness

    evidence = {key: _single(input_dict, key) for key in _evidence_inputs()}
    evidence["examples"] = _single(input_dict, EXAMPLES_KEY)
    if evidence["fairness"] is not None:
        evidence["fairness"] = load_fairness(evidence["fairness"])
    if evidence["attributions"] is not None:
        evidence["attributions"] = load_attributions(evidence["attributions"])
    if evidence["tuner_results"] is not None:
        path = os.path.join(evidence["tuner_results"].uri, "tuner_results.json")
        evidence["tuner_results"] = json.loads(io_utils.read_string_file(path))
    return evidence


class AtomicPusherExecutor(pusher_executor.Executor):
    """Pushes a blessed model to a local filesystem base directory atomically."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        model_push = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.PUSHED_MODEL_KEY]
        )
        if not self.CheckBlessing(input_dict):
            self._MarkNotPushed(model_push)
            return
        model_path = self.GetModelPath(input_dict)
        destination = pusher_pb2.PushDestination()
        proto_utils.json_to_proto(
            exec_properties[standard_component_specs.PUSH_DESTINATION_KEY], destination
        )
        base_directory = destination.filesystem.base_directory
        examples = input_dict.get(EXAMPLES_KEY)
        model = artifact_utils.get_single_instance(input_dict[standard_component_specs.MODEL_KEY])
        already = version_of_model(base_directory, model.uri)
        if already is not None:
            logging.info("Model %s is already version %s; not pushed again.", model.uri, already)
            model_push.set_string_custom_property(ALREADY_PUSHED_PROPERTY, already)
            self._MarkNotPushed(model_push)
            return

        def add_warmup(staging: str) -> None:
            if examples:
                uri = artifact_utils.get_single_instance(examples).uri
                logs = warmup.warmup_logs(
                    warmup.read_examples(uri),
                    warmup.signature_inputs(staging),
                    model_name=os.path.basename(base_directory.rstrip("/")),
                )
                warmup.write_warmup(staging, logs)

        version = next_version(base_directory, time.time())

        def add_card(staging: str) -> None:
            from models.tuning import read_hparams

            evidence = _loaded_evidence(input_dict)
            card = model_card.build_card(
                model_name=os.path.basename(base_directory.rstrip("/")),
                version=version,
                pushed_at=time.time(),
                run_id=self._context.pipeline_run_id if self._context else "",
                model=model,
                blessing=_single(input_dict, standard_component_specs.MODEL_BLESSING_KEY),
                hparams=read_hparams(staging),
                artifacts=evidence,
                provenance=json.loads(exec_properties.get(PROVENANCE_KEY) or "{}"),
            )
            model_card.write_card(staging, card)
            if evidence["attributions"] is not None:
                # With its background rows, `python -m pipeline explain` needs only the version.
                path = os.path.join(staging, model_card.CARD_DIR, model_card.ATTRIBUTIONS_NAME)
                io_utils.write_string_file(path, evidence["attributions"].to_json())

        def prepare(staging: str) -> None:
            add_warmup(staging)
            add_card(staging)

        serving_path = push_atomically(model_path, base_directory, version, prepare)
        logging.info("Model pushed to %s.", serving_path)

        # The archive copy under the pipeline root is what lineage points at.
        io_utils.copy_dir(serving_path, model_push.uri)
        self._MarkPushed(model_push, pushed_destination=serving_path, pushed_version=version)


class Pusher(base_component.BaseComponent):
    """Pushes a blessed model to `<base_directory>/<version>/` for TF Serving."""

    SPEC_CLASS = PusherSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(AtomicPusherExecutor)

    def __init__(
        self,
        model: types.BaseChannel,
        model_blessing: types.BaseChannel,
        base_directory: str,
        examples: types.BaseChannel | None = None,
        provenance: str = "",
        **evidence: types.BaseChannel | None,
    ) -> None:
        """`evidence`: optional channels the model card is built from (`_evidence_inputs`)."""
        unknown = set(evidence) - set(_evidence_inputs())
        if unknown:
            raise TypeError(f"Pusher got unknown inputs {sorted(unknown)}")
        destination = pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=base_directory)
        )
        spec = PusherSpec(
            model=model,
            model_blessing=model_blessing,
            examples=examples,
            push_destination=destination,
            provenance=provenance or None,
            pushed_model=types.Channel(type=standard_artifacts.PushedModel),
            **evidence,
        )
        super().__init__(spec=spec)
