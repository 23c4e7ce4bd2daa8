"""FairnessCheck: the TFX component between the Evaluator and the Pusher.

It reads the Evaluator's evaluation (fairness rates per slice, added by
`pipeline.fairness.with_fairness`) and blessing, measures the gaps, writes
them as a `FairnessResult` artifact (`fairness.json`), and publishes the
blessing the Pusher and the baseline resolver read: the Evaluator's, unless a
gap breaches its limit and the check is configured as blocking. A blocked
model is therefore neither pushed nor ever used as a baseline.
"""

from __future__ import annotations

import os
from typing import Any

from tfx import types
from tfx.components.evaluator import constants as evaluator_constants
from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.types import artifact_utils, component_spec, standard_artifacts
from tfx.utils import io_utils

from pipeline import fairness
from pipeline.config import FairnessConfig

EVALUATION_KEY = "evaluation"
MODEL_BLESSING_KEY = "model_blessing"
BLESSING_KEY = "blessing"
RESULT_KEY = "result"
CONFIG_KEY = "fairness_config"
RESULT_FILE = "fairness.json"

# Custom properties of the output blessing besides the Evaluator's own.
EVALUATOR_BLESSED_PROPERTY = "evaluator_blessed"
FAIRNESS_BLOCKED_PROPERTY = "fairness_blocked"
BREACHES_PROPERTY = "fairness_breaches"

# The Evaluator's blessing properties the resolver and Pusher rely on.
_COPIED_PROPERTIES = (
    evaluator_constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY,
    evaluator_constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY,
    evaluator_constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY,
    evaluator_constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY,
)


class FairnessResult(types.Artifact):
    """Fairness rates per slice and their gaps for one evaluation (`fairness.json`)."""

    # "<namespace>.<Name>": the form Kubeflow V2 requires of custom artifact types.
    TYPE_NAME = "taxi.FairnessResult"


def load_result(artifact: types.Artifact) -> fairness.FairnessOutcome:
    """The outcome a FairnessCheck wrote into `artifact`."""
    return fairness.FairnessOutcome.from_json(
        io_utils.read_string_file(os.path.join(artifact.uri, RESULT_FILE))
    )


class FairnessCheckSpec(types.ComponentSpec):
    PARAMETERS = {  # noqa: RUF012 - TFX reads specs from plain class attributes
        CONFIG_KEY: component_spec.ExecutionParameter(type=str),
    }
    INPUTS = {  # noqa: RUF012
        EVALUATION_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelEvaluation),
        MODEL_BLESSING_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelBlessing),
    }
    OUTPUTS = {  # noqa: RUF012
        BLESSING_KEY: component_spec.ChannelParameter(type=standard_artifacts.ModelBlessing),
        RESULT_KEY: component_spec.ChannelParameter(type=FairnessResult),
    }


def _copy_property(source: types.Artifact, target: types.Artifact, name: str) -> None:
    if not source.has_custom_property(name):
        return
    value = source.get_custom_property(name)
    if isinstance(value, int):
        target.set_int_custom_property(name, value)
    else:
        target.set_string_custom_property(name, str(value))


def write_blessing(blessing: types.Artifact, evaluator_blessing: types.Artifact, outcome) -> bool:
    """Fill `blessing` from the Evaluator's and the outcome; returns whether it is blessed."""
    evaluator_blessed = (
        evaluator_blessing.get_int_custom_property(
            evaluator_constants.ARTIFACT_PROPERTY_BLESSED_KEY
        )
        == 1
    )
    blessed = evaluator_blessed and not outcome.blocked
    for name in _COPIED_PROPERTIES:
        _copy_property(evaluator_blessing, blessing, name)
    blessing.set_int_custom_property(
        evaluator_constants.ARTIFACT_PROPERTY_BLESSED_KEY,
        evaluator_constants.BLESSED_VALUE if blessed else evaluator_constants.NOT_BLESSED_VALUE,
    )
    blessing.set_int_custom_property(EVALUATOR_BLESSED_PROPERTY, int(evaluator_blessed))
    blessing.set_int_custom_property(FAIRNESS_BLOCKED_PROPERTY, int(outcome.blocked))
    blessing.set_int_custom_property(BREACHES_PROPERTY, len(outcome.breaches))
    # The marker file the stock Evaluator writes, for tools that look for it.
    blessed_file, not_blessed_file = (
        evaluator_constants.BLESSED_FILE_NAME,
        evaluator_constants.NOT_BLESSED_FILE_NAME,
    )
    marker = blessed_file if blessed else not_blessed_file
    io_utils.write_string_file(os.path.join(blessing.uri, marker), "")
    return blessed


class FairnessCheckExecutor(base_executor.BaseExecutor):
    """Measures the gaps, writes `fairness.json`, and passes the blessing on or withholds it."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        config = fairness.config_from_json(exec_properties[CONFIG_KEY])
        evaluation = artifact_utils.get_single_instance(input_dict[EVALUATION_KEY])
        outcome = fairness.evaluate(evaluation.uri, config)
        result = artifact_utils.get_single_instance(output_dict[RESULT_KEY])
        io_utils.write_string_file(os.path.join(result.uri, RESULT_FILE), outcome.to_json())
        result.set_int_custom_property(FAIRNESS_BLOCKED_PROPERTY, int(outcome.blocked))
        result.set_int_custom_property(BREACHES_PROPERTY, len(outcome.breaches))
        write_blessing(
            artifact_utils.get_single_instance(output_dict[BLESSING_KEY]),
            artifact_utils.get_single_instance(input_dict[MODEL_BLESSING_KEY]),
            outcome,
        )


class FairnessCheck(base_component.BaseComponent):
    """Reports error-rate gaps between slices; withholds the blessing on a blocking breach."""

    SPEC_CLASS = FairnessCheckSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(FairnessCheckExecutor)

    def __init__(
        self,
        evaluation: types.BaseChannel,
        model_blessing: types.BaseChannel,
        config: FairnessConfig,
    ) -> None:
        spec = FairnessCheckSpec(
            evaluation=evaluation,
            model_blessing=model_blessing,
            fairness_config=fairness.config_to_json(config),
            blessing=types.Channel(type=standard_artifacts.ModelBlessing),
            result=types.Channel(type=FairnessResult),
        )
        super().__init__(spec=spec)
