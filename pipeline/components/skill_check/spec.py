"""The SkillCheck's inputs, outputs and parameter, shared by its component and executor."""

from __future__ import annotations

from tfx import types
from tfx.types import component_spec, standard_artifacts

from pipeline.components.skill_check.artifacts import SkillResult

MODEL_KEY = "model"
EXAMPLES_KEY = "examples"
EVALUATION_KEY = "evaluation"
MODEL_BLESSING_KEY = "model_blessing"
BLESSING_KEY = "blessing"
RESULT_KEY = "result"
MARGIN_KEY = "margin"


class SkillCheckSpec(types.ComponentSpec):
    PARAMETERS = {  # noqa: RUF012 - TFX reads specs from plain class attributes
        MARGIN_KEY: component_spec.ExecutionParameter(type=float),
    }
    INPUTS = {  # noqa: RUF012
        MODEL_KEY: component_spec.ChannelParameter(type=standard_artifacts.Model),
        EXAMPLES_KEY: component_spec.ChannelParameter(type=standard_artifacts.Examples),
        EVALUATION_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelEvaluation),
        MODEL_BLESSING_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelBlessing),
    }
    OUTPUTS = {  # noqa: RUF012
        BLESSING_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelBlessing),
        RESULT_KEY: component_spec.ChannelParameter(type=SkillResult),
    }
