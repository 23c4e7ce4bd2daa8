"""The FairnessCheck's executor: measures the gaps, writes `fairness.json`, and passes the
blessing it was given on or withholds it."""

from __future__ import annotations

import os
from typing import Any

from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from models.dataset import DatasetSpec
from pipeline.components.blessing import pass_on
from pipeline.components.evaluator.results import single_feature_slice_metrics
from pipeline.components.fairness_check.artifacts import (
    BREACHES_PROPERTY,
    FAIRNESS_BLOCKED_PROPERTY,
    RESULT_FILE,
)
from pipeline.components.fairness_check.decision import (
    FairnessOutcome,
    gaps,
    slice_rates,
)
from pipeline.components.fairness_check.metrics import measures
from pipeline.components.fairness_check.spec import (
    BLESSING_KEY,
    CONFIG_KEY,
    EVALUATION_KEY,
    MODEL_BLESSING_KEY,
    MODEL_KEY,
    RESULT_KEY,
    config_from_json,
)
from pipeline.config import FairnessConfig


def evaluate(evaluation_uri: str, config: FairnessConfig, spec: DatasetSpec) -> FairnessOutcome:
    """The fairness outcome of the evaluation at `evaluation_uri`."""
    metrics = single_feature_slice_metrics(evaluation_uri, config.slice_features)
    missing = [f for f in config.slice_features if not any(k[0] == f for k in metrics)]
    if missing:
        raise ValueError(
            f"the evaluation at {evaluation_uri} has no slices of {missing}: was it computed "
            "with fairness_check.metrics.with_fairness?"
        )
    compared = measures(spec, config)
    rates = slice_rates(metrics, config, compared)
    return FairnessOutcome(
        rates=tuple(rates),
        gaps=tuple(gaps(rates, config, compared)),
        blocking=config.blocking,
        min_slice_examples=config.min_slice_examples,
        caveats={f: text for f, text in config.caveats if f in config.slice_features},
    )


def write_blessing(blessing: types.Artifact, given: types.Artifact, outcome) -> bool:
    """Fill `blessing` from the one given and the outcome; returns whether it is blessed."""
    return pass_on(
        blessing,
        given,
        passed=not outcome.blocked,
        verdict={
            FAIRNESS_BLOCKED_PROPERTY: outcome.blocked,
            BREACHES_PROPERTY: len(outcome.breaches),
        },
    )


class FairnessCheckExecutor(base_executor.BaseExecutor):
    """Measures the gaps, writes `fairness.json`, and passes the blessing on or withholds it."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        config = config_from_json(exec_properties[CONFIG_KEY])
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        spec = DatasetSpec.read_from_model(path_utils.serving_model_path(model.uri))
        evaluation = artifact_utils.get_single_instance(input_dict[EVALUATION_KEY])
        outcome = evaluate(evaluation.uri, config, spec)
        result = artifact_utils.get_single_instance(output_dict[RESULT_KEY])
        io_utils.write_string_file(os.path.join(result.uri, RESULT_FILE), outcome.to_json())
        result.set_int_custom_property(FAIRNESS_BLOCKED_PROPERTY, int(outcome.blocked))
        result.set_int_custom_property(BREACHES_PROPERTY, len(outcome.breaches))
        write_blessing(
            artifact_utils.get_single_instance(output_dict[BLESSING_KEY]),
            artifact_utils.get_single_instance(input_dict[MODEL_BLESSING_KEY]),
            outcome,
        )
