"""The Pusher's spec: the stock Pusher's, plus examples for warmup requests and the model
card's evidence (all optional inputs)."""

from __future__ import annotations

from tfx.types import component_spec, standard_artifacts, standard_component_specs

from pipeline.components.attributions.artifacts import ModelAttributions
from pipeline.components.fairness_check.artifacts import FairnessResult
from pipeline.components.skill_check.artifacts import SkillResult

EXAMPLES_KEY = "examples"
PROVENANCE_KEY = "provenance"
# The dataset's whole spec (the model records only what training reads): the model
# card's words, slices and time range come from it.
DATASET_KEY = "dataset"
ALREADY_PUSHED_PROPERTY = "already_pushed_version"

# Optional inputs the model card is built from.
EVIDENCE_INPUTS = {
    "evaluation": standard_artifacts.ModelEvaluation,
    "skill": SkillResult,
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
        DATASET_KEY: component_spec.ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {  # noqa: RUF012
        **standard_component_specs.PusherSpec.INPUTS,
        EXAMPLES_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.Examples, optional=True
        ),
        **{
            key: component_spec.ChannelParameter(type=artifact_type, optional=True)
            for key, artifact_type in EVIDENCE_INPUTS.items()
        },
    }
