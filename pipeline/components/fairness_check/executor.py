"""The FairnessCheck's executor: measures the gaps, writes `fairness.json`, and passes the
Evaluator's blessing on or withholds it."""

from __future__ import annotations

import os
from typing import Any

from tfx import types
from tfx.components.evaluator import constants as evaluator_constants
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils

from pipeline.components.evaluator.results import single_feature_slice_metrics
from pipeline.components.fairness_check.artifacts import (
    BREACHES_PROPERTY,
    EVALUATOR_BLESSED_PROPERTY,
    FAIRNESS_BLOCKED_PROPERTY,
    RESULT_FILE,
)
from pipeline.components.fairness_check.decision import (
    FairnessOutcome,
    gaps,
    slice_rates,
)
from pipeline.components.fairness_check.spec import (
    BLESSING_KEY,
    CONFIG_KEY,
    EVALUATION_KEY,
    MODEL_BLESSING_KEY,
    RESULT_KEY,
    config_from_json,
)
from pipeline.config import FairnessConfig

# The Evaluator's blessing properties the resolver and Pusher rely on.
_COPIED_PROPERTIES = (
    evaluator_constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY,
    evaluator_constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY,
    evaluator_constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY,
    evaluator_constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY,
)


def evaluate(evaluation_uri: str, config: FairnessConfig) -> FairnessOutcome:
    """The fairness outcome of the evaluation at `evaluation_uri`."""
    metrics = single_feature_slice_metrics(evaluation_uri, config.slice_features)
    missing = [f for f in config.slice_features if not any(k[0] == f for k in metrics)]
    if missing:
        raise ValueError(
            f"the evaluation at {evaluation_uri} has no slices of {missing}: was it computed "
            "with fairness_check.metrics.with_fairness?"
        )
    rates = slice_rates(metrics, config)
    return FairnessOutcome(
        rates=tuple(rates),
        gaps=tuple(gaps(rates, config)),
        blocking=config.blocking,
        min_slice_examples=config.min_slice_examples,
    )


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
        config = config_from_json(exec_properties[CONFIG_KEY])
        evaluation = artifact_utils.get_single_instance(input_dict[EVALUATION_KEY])
        outcome = evaluate(evaluation.uri, config)
        result = artifact_utils.get_single_instance(output_dict[RESULT_KEY])
        io_utils.write_string_file(os.path.join(result.uri, RESULT_FILE), outcome.to_json())
        result.set_int_custom_property(FAIRNESS_BLOCKED_PROPERTY, int(outcome.blocked))
        result.set_int_custom_property(BREACHES_PROPERTY, len(outcome.breaches))
        write_blessing(
            artifact_utils.get_single_instance(output_dict[BLESSING_KEY]),
            artifact_utils.get_single_instance(input_dict[MODEL_BLESSING_KEY]),
            outcome,
        )
