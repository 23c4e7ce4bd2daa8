"""Attributions: the TFX component that explains each trained model on the eval split.

It loads the Trainer's SavedModel, computes permutation importances of the
raw features on eval examples (`models.attributions`) and writes them, with
a background sample for explaining single predictions, as a
`ModelAttributions` artifact (`attributions.json`). The Pusher copies that
file into every version it pushes.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from tfx import types
from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.types import artifact_utils, component_spec, standard_artifacts
from tfx.utils import io_utils, path_utils

from pipeline import warmup
from pipeline.config import AttributionsConfig

MODEL_KEY = "model"
EXAMPLES_KEY = "examples"
ATTRIBUTIONS_KEY = "attributions"
CONFIG_KEY = "attributions_config"
SEED_KEY = "seed"
RESULT_FILE = "attributions.json"
SPLIT = "eval"


class ModelAttributions(types.Artifact):
    """Global feature attributions of one trained model (`attributions.json`)."""

    # "<namespace>.<Name>": the form Kubeflow V2 requires of custom artifact types.
    TYPE_NAME = "taxi.ModelAttributions"


def load_result(artifact: types.Artifact):
    """The `GlobalAttributions` an Attributions execution wrote into `artifact`."""
    from models.attributions import GlobalAttributions

    text = io_utils.read_string_file(os.path.join(artifact.uri, RESULT_FILE))
    return GlobalAttributions.from_json(text)


class AttributionsSpec(types.ComponentSpec):
    PARAMETERS = {  # noqa: RUF012 - TFX reads specs from plain class attributes
        CONFIG_KEY: component_spec.ExecutionParameter(type=str),
        SEED_KEY: component_spec.ExecutionParameter(type=int),
    }
    INPUTS = {  # noqa: RUF012
        MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
        EXAMPLES_KEY: component_spec.ChannelParameter(type=standard_artifacts.Examples),
    }
    OUTPUTS = {  # noqa: RUF012
        ATTRIBUTIONS_KEY: component_spec.ChannelParameter(type=ModelAttributions),
    }


class AttributionsExecutor(base_executor.BaseExecutor):
    """Computes permutation importances and writes `attributions.json`."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        import time

        from models import attributions

        started = time.monotonic()
        config = AttributionsConfig(**json.loads(exec_properties[CONFIG_KEY]))
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        loaded = attributions.load_model(path_utils.serving_model_path(model.uri))
        serialized = warmup.read_examples(examples.uri, SPLIT, limit=config.max_examples)
        result = attributions.permutation_importance(
            loaded,
            serialized,
            repeats=config.repeats,
            seed=exec_properties[SEED_KEY],
            background_rows=config.background_rows,
        )
        output = artifact_utils.get_single_instance(output_dict[ATTRIBUTIONS_KEY])
        io_utils.write_string_file(os.path.join(output.uri, RESULT_FILE), result.to_json())
        output.set_string_custom_property("top_feature", result.features[0].feature)
        # Loading the model and reading examples included: what the step costs a run.
        output.set_float_custom_property("seconds", round(time.monotonic() - started, 2))


class Attributions(base_component.BaseComponent):
    """Global feature attributions of the trained model on the eval split."""

    SPEC_CLASS = AttributionsSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(AttributionsExecutor)

    def __init__(
        self,
        model: types.BaseChannel,
        examples: types.BaseChannel,
        config: AttributionsConfig,
        seed: int,
    ) -> None:
        spec = AttributionsSpec(
            model=model,
            examples=examples,
            attributions_config=json.dumps(dataclasses.asdict(config), sort_keys=True),
            seed=seed,
            attributions=types.Channel(type=ModelAttributions),
        )
        super().__init__(spec=spec)
