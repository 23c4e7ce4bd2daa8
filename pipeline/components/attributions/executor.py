"""The Attributions executor: permutation importances of the trained model on eval examples."""

from __future__ import annotations

import os
import time
from typing import Any

from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import io_utils, path_utils

from pipeline.components import standard_outputs
from pipeline.components.attributions.artifacts import (
    RESULT_FILE,
    SECONDS_PROPERTY,
    TOP_FEATURE_PROPERTY,
)
from pipeline.components.attributions.spec import (
    ATTRIBUTIONS_KEY,
    CONFIG_KEY,
    EXAMPLES_KEY,
    MODEL_KEY,
    SEED_KEY,
    config_from_json,
)

SPLIT = "eval"


class AttributionsExecutor(base_executor.BaseExecutor):
    """Computes permutation importances and writes `attributions.json`."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        from models import attributions

        started = time.monotonic()
        config = config_from_json(exec_properties[CONFIG_KEY])
        model = artifact_utils.get_single_instance(input_dict[MODEL_KEY])
        examples = artifact_utils.get_single_instance(input_dict[EXAMPLES_KEY])
        loaded = attributions.load_model(path_utils.serving_model_path(model.uri))
        serialized = standard_outputs.serialized_examples(
            examples.uri, SPLIT, limit=config.max_examples
        )
        result = attributions.permutation_importance(
            loaded,
            serialized,
            repeats=config.repeats,
            seed=exec_properties[SEED_KEY],
            background_rows=config.background_rows,
        )
        output = artifact_utils.get_single_instance(output_dict[ATTRIBUTIONS_KEY])
        io_utils.write_string_file(os.path.join(output.uri, RESULT_FILE), result.to_json())
        output.set_string_custom_property(TOP_FEATURE_PROPERTY, result.features[0].feature)
        # Loading the model and reading examples included: what the step costs a run.
        output.set_float_custom_property(SECONDS_PROPERTY, round(time.monotonic() - started, 2))
