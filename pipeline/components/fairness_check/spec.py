"""The FairnessCheck's inputs, outputs and parameter, shared by its component and executor."""

from __future__ import annotations

import dataclasses
import json

from tfx import types
from tfx.types import component_spec, standard_artifacts

from pipeline.components.fairness_check.artifacts import FairnessResult
from pipeline.config import FairnessConfig

MODEL_KEY = "model"
EVALUATION_KEY = "evaluation"
MODEL_BLESSING_KEY = "model_blessing"
BLESSING_KEY = "blessing"
RESULT_KEY = "result"
CONFIG_KEY = "fairness_config"


def config_to_json(config: FairnessConfig) -> str:
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def config_from_json(text: str) -> FairnessConfig:
    data = json.loads(text)
    for key in ("features", "extra_slice_features", "thresholds"):
        if data.get(key) is not None:
            data[key] = tuple(data[key])
    data["caveats"] = tuple(tuple(pair) for pair in data.get("caveats", ()))
    return FairnessConfig(**data)


class FairnessCheckSpec(types.ComponentSpec):
    PARAMETERS = {  # noqa: RUF012 - TFX reads specs from plain class attributes
        CONFIG_KEY: component_spec.ExecutionParameter(type=str),
    }
    INPUTS = {  # noqa: RUF012
        # The trained model records its dataset: the task and the classes.
        MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
        EVALUATION_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelEvaluation),
        MODEL_BLESSING_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelBlessing),
    }
    OUTPUTS = {  # noqa: RUF012
        BLESSING_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelBlessing),
        RESULT_KEY: component_spec.ChannelParameter(type=FairnessResult),
    }
