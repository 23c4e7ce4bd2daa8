"""The Attributions component's inputs, output and parameters."""

from __future__ import annotations

import dataclasses
import json

from tfx import types
from tfx.types import component_spec, standard_artifacts

from pipeline.components.attributions.artifacts import ModelAttributions
from pipeline.config import AttributionsConfig

MODEL_KEY = "model"
EXAMPLES_KEY = "examples"
ATTRIBUTIONS_KEY = "attributions"
CONFIG_KEY = "attributions_config"
SEED_KEY = "seed"


def config_to_json(config: AttributionsConfig) -> str:
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def config_from_json(text: str) -> AttributionsConfig:
    return AttributionsConfig(**json.loads(text))


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
