"""The DataGate's inputs, output and parameter, shared by its component and its executor."""

from __future__ import annotations

import dataclasses
import json

from tfx import types
from tfx.types import component_spec, standard_artifacts

from pipeline.components.data_gate.artifacts import DataValidation
from pipeline.config import DriftThresholds, GateConfig

STATISTICS_KEY = "statistics"
SCHEMA_KEY = "schema"
ANOMALIES_KEY = "anomalies"
PREVIOUS_KEY = "previous"
CANDIDATE_KEY = "candidate"
RESULT_KEY = "result"
CONFIG_KEY = "gate_config"
EXAMPLES_KEY = "examples"
# The dataset's training spec (DatasetSpec.for_training JSON): how to compute the label.
DATASET_KEY = "dataset"


def config_to_json(config: GateConfig) -> str:
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def config_from_json(text: str) -> GateConfig:
    data = json.loads(text)
    return GateConfig(
        allow=tuple(data["allow"]),
        block_new_columns=data["block_new_columns"],
        drift=DriftThresholds(**data["drift"]),
        skew=DriftThresholds(**data["skew"]),
        min_rows_to_compare=data["min_rows_to_compare"],
        compared=tuple(data.get("compared", ())),
        long_tailed=tuple(data.get("long_tailed", ())),
        time_feature=data.get("time_feature"),
        future_margin_seconds=data.get("future_margin_seconds", GateConfig.future_margin_seconds),
    )


class DataGateSpec(types.ComponentSpec):
    PARAMETERS = {  # noqa: RUF012 - TFX reads specs from plain class attributes
        CONFIG_KEY: component_spec.ExecutionParameter(type=str),
        DATASET_KEY: component_spec.ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {  # noqa: RUF012
        STATISTICS_KEY: component_spec.ChannelParameter(type=standard_artifacts.ExampleStatistics),
        SCHEMA_KEY: component_spec.ChannelParameter(type=standard_artifacts.Schema),
        ANOMALIES_KEY: component_spec.ChannelParameter(type=standard_artifacts.ExampleAnomalies),
        PREVIOUS_KEY: component_spec.ChannelParameter(type=DataValidation, optional=True),
        EXAMPLES_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.Examples, optional=True
        ),
    }
    OUTPUTS = {  # noqa: RUF012
        RESULT_KEY: component_spec.ChannelParameter(type=DataValidation),
    }
