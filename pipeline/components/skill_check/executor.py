"""The SkillCheck's executor: scores the trivial predictor on the eval split, compares the
candidate's TFMA metrics with it, writes `skill.json`, and passes the blessing on or not."""

from __future__ import annotations

import os
from typing import Any

from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from models.attributions import labels, load_model
from pipeline.components import standard_outputs
from pipeline.components.blessing import pass_on
from pipeline.components.evaluator.results import overall_metrics
from pipeline.components.skill_check import decision
from pipeline.components.skill_check.artifacts import RESULT_FILE, SKILL_PASSED_PROPERTY
from pipeline.components.skill_check.spec import (
    BLESSING_KEY,
    EVALUATION_KEY,
    EXAMPLES_KEY,
    MARGIN_KEY,
    MODEL_BLESSING_KEY,
    MODEL_KEY,
    RESULT_KEY,
)

# Train labels the trivial predictor's rate, shares or mean is estimated from, and
# eval labels it is scored on (the Evaluator scores the whole eval split).
TRAIN_SAMPLE = 20_000
EVAL_LIMIT = 1_000_000


class SkillCheckExecutor(base_executor.BaseExecutor):
    """Compares the candidate with the trivial predictor and passes the blessing on or not."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        model_artifact = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        model = load_model(path_utils.serving_model_path(model_artifact.uri))
        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY]).uri
        train = labels(model, standard_outputs.serialized_examples(examples, "train", TRAIN_SAMPLE))
        held_out = labels(model, standard_outputs.serialized_examples(examples, "eval", EVAL_LIMIT))
        task = model.spec.task
        trivial, said = decision.trivial_metrics(task, train, held_out, model.spec.num_classes)
        evaluation = artifact_utils.get_single_instance(input_dict[EVALUATION_KEY])
        outcome = decision.judge(
            task,
            overall_metrics(evaluation.uri)[0],
            trivial,
            said,
            float(exec_properties[MARGIN_KEY]),
        )
        result = artifact_utils.get_single_instance(output_dict[RESULT_KEY])
        io_utils.write_string_file(os.path.join(result.uri, RESULT_FILE), outcome.to_json())
        result.set_int_custom_property(SKILL_PASSED_PROPERTY, int(outcome.passed))
        pass_on(
            artifact_utils.get_single_instance(output_dict[BLESSING_KEY]),
            artifact_utils.get_single_instance(input_dict[MODEL_BLESSING_KEY]),
            passed=outcome.passed,
            verdict={SKILL_PASSED_PROPERTY: outcome.passed},
        )
