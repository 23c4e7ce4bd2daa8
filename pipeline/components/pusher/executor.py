"""The Pusher's executor: checks the blessing, then pushes the model with its warmup
requests, model card and attributions as one new version."""

from __future__ import annotations

import os
import time
from typing import Any

from absl import logging
from tfx import types
from tfx.components.pusher import executor as pusher_executor
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, proto_utils

from models import layout
from models.signatures import signature_inputs
from pipeline.components import standard_outputs
from pipeline.components.attributions.artifacts import load_result as load_attributions
from pipeline.components.fairness_check.artifacts import load_result as load_fairness
from pipeline.components.pusher import model_card, warmup
from pipeline.components.pusher.atomic import push_atomically
from pipeline.components.pusher.spec import (
    ALREADY_PUSHED_PROPERTY,
    DATASET_KEY,
    EVIDENCE_INPUTS,
    EXAMPLES_KEY,
    PROVENANCE_KEY,
)
from pipeline.components.skill_check.artifacts import load_result as load_skill


def version_of_model(base_directory: str, model_uri: str) -> str | None:
    """The version on disk whose model card names the model at `model_uri`, if any."""
    for name in layout.version_names(base_directory):
        card = model_card.read_card(os.path.join(base_directory, name))
        if card and card["model"]["model_uri"] == model_uri:
            return name
    return None


def _single(input_dict: dict, key: str):
    artifacts = input_dict.get(key) or []
    return artifacts[0] if artifacts else None


def _loaded_evidence(input_dict: dict) -> dict:
    """The card's inputs, loaded: artifacts, or the results read from them."""
    evidence = {key: _single(input_dict, key) for key in EVIDENCE_INPUTS}
    evidence["examples"] = _single(input_dict, EXAMPLES_KEY)
    if evidence["skill"] is not None:
        evidence["skill"] = load_skill(evidence["skill"])
    if evidence["fairness"] is not None:
        evidence["fairness"] = load_fairness(evidence["fairness"])
    if evidence["attributions"] is not None:
        evidence["attributions"] = load_attributions(evidence["attributions"])
    if evidence["tuner_results"] is not None:
        evidence["tuner_results"] = standard_outputs.tuner_trials(evidence["tuner_results"])
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
        model_name = os.path.basename(base_directory.rstrip("/"))
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
                    standard_outputs.serialized_examples(
                        uri, warmup.WARMUP_SPLIT, limit=warmup.MAX_WARMUP_EXAMPLES
                    ),
                    signature_inputs(staging),
                    model_name=model_name,
                )
                warmup.write_warmup(staging, logs)

        version = layout.next_version(base_directory, time.time())

        def add_card(staging: str) -> None:
            from models.dataset import DatasetSpec
            from models.hparams import read_hparams

            evidence = _loaded_evidence(input_dict)
            card = model_card.build_card(
                model_name=model_name,
                version=version,
                pushed_at=time.time(),
                run_id=self._context.pipeline_run_id if self._context else "",
                model=model,
                blessing=_single(input_dict, standard_component_specs.MODEL_BLESSING_KEY),
                hparams=read_hparams(staging),
                artifacts=evidence,
                provenance=json_loads(exec_properties.get(PROVENANCE_KEY)),
                spec=(
                    DatasetSpec.from_json(exec_properties[DATASET_KEY])
                    if exec_properties.get(DATASET_KEY)
                    else DatasetSpec.read_from_model(staging)
                ),
            )
            model_card.write_card(staging, card)
            if evidence["attributions"] is not None:
                # With its background rows, `python -m pipeline explain` needs only the version.
                path = os.path.join(staging, layout.ATTRIBUTIONS_FILE)
                io_utils.write_string_file(path, evidence["attributions"].to_json())

        def prepare(staging: str) -> None:
            add_warmup(staging)
            add_card(staging)

        serving_path = push_atomically(model_path, base_directory, version, prepare)
        logging.info("Model pushed to %s.", serving_path)

        # The archive copy under the pipeline root is what lineage points at.
        io_utils.copy_dir(serving_path, model_push.uri)
        self._MarkPushed(model_push, pushed_destination=serving_path, pushed_version=version)


def json_loads(text: str | None) -> dict:
    """The provenance parameter as a dict ({} when the runner recorded none)."""
    import json

    return json.loads(text or "{}")
