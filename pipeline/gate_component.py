"""DataGate: the TFX component that stops a run on bad data, before Transform.

It reads StatisticsGen's statistics, ExampleValidator's anomalies and the
schema, compares the splits with each other (skew) and with the last data
that passed the gate (drift), and decides with `pipeline.gate`.

A blocked gate is a *failed* execution whose result message is the
outcome as JSON: TFX records it in ML Metadata, the LocalDagRunner stops,
and nothing downstream (Transform, Trainer, Evaluator, Pusher) runs. A
passed gate publishes a `DataValidation` artifact holding the same JSON;
the next run's drift is measured against the statistics it names.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import tensorflow_data_validation as tfdv
from tensorflow_data_validation.utils import anomalies_util
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import types
from tfx.components.example_validator import executor as validator_executor
from tfx.components.statistics_gen import executor as statistics_executor
from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.dsl.components.common import resolver
from tfx.proto.orchestration import execution_result_pb2
from tfx.types import artifact_utils, component_spec, standard_artifacts
from tfx.utils import io_utils

from pipeline import data_checks, gate
from pipeline.config import DriftThresholds, GateConfig

RESULT_FILE = "gate.json"
TRAIN_SPLIT = "train"
# gRPC's FAILED_PRECONDITION: the data is not in a state to train on.
BLOCKED_CODE = 9

STATISTICS_KEY = "statistics"
SCHEMA_KEY = "schema"
ANOMALIES_KEY = "anomalies"
PREVIOUS_KEY = "previous"
CANDIDATE_KEY = "candidate"
RESULT_KEY = "result"
CONFIG_KEY = "gate_config"

PASSED_PROPERTY = "passed"
STATISTICS_ID_PROPERTY = "statistics_id"
STATISTICS_URI_PROPERTY = "statistics_uri"


class DataValidation(types.Artifact):
    """The data gate's outcome for one set of statistics (`gate.json`)."""

    # "<namespace>.<Name>": the form Kubeflow V2 requires of custom artifact types.
    TYPE_NAME = "taxi.DataValidation"


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
    )


def _per_split(artifact: types.Artifact, file_name: str, load) -> dict[str, Any]:
    return {
        split: load(os.path.join(artifact_utils.get_split_uri([artifact], split), file_name))
        for split in artifact_utils.decode_split_names(artifact.split_names)
    }


def load_statistics(artifact: types.Artifact) -> dict[str, Any]:
    """Split name -> DatasetFeatureStatisticsList of an ExampleStatistics artifact."""
    return _per_split(artifact, statistics_executor.DEFAULT_FILE_NAME, tfdv.load_stats_binary)


def _load_train_statistics(statistics_uri: str):
    path = os.path.join(
        statistics_uri, f"Split-{TRAIN_SPLIT}", statistics_executor.DEFAULT_FILE_NAME
    )
    return tfdv.load_stats_binary(path)


def _change_findings(
    check: str, split: str, anomalies: anomalies_pb2.Anomalies, config: GateConfig
) -> list[gate.Finding]:
    """Findings for TFDV's skew or drift comparators only (schema anomalies come from
    ExampleValidator)."""
    findings = []
    for feature, description in sorted(data_checks.comparator_anomalies(anomalies).items()):
        kinds = [
            anomalies_pb2.AnomalyInfo.Type.Name(r.type)
            for r in anomalies.anomaly_info[feature].reason
            if r.type in data_checks.COMPARATOR_ANOMALY_TYPES
        ]
        findings.append(
            gate.Finding(
                check=check,
                split=split,
                feature=feature,
                kind=",".join(kinds),
                description=description,
                blocking=not gate.accepted(feature, config),
            )
        )
    return findings


def _measurements(check: str, split: str, anomalies: anomalies_pb2.Anomalies) -> list[dict]:
    """Every comparator measurement, within its threshold or not, for the reports."""
    rows = []
    for info in anomalies.drift_skew_info:
        measured = info.drift_measurements if check == "drift" else info.skew_measurements
        for m in measured:
            rows.append(
                {
                    "check": check,
                    "split": split,
                    "feature": ".".join(info.path.step),
                    "measure": anomalies_pb2.DriftSkewInfo.Measurement.Type.Name(m.type),
                    "value": m.value,
                    "threshold": m.threshold,
                    "exceeded": m.value > m.threshold,
                }
            )
    return rows


def _rows(stats) -> int:
    return sum(d.num_examples for d in stats.datasets)


def _too_few_rows(check: str, split: str, rows: int, config: GateConfig) -> list[gate.Finding]:
    """A note, not a block: too few rows to tell a real change from sampling noise."""
    if rows >= config.min_rows_to_compare:
        return []
    return [
        gate.Finding(
            check=check,
            split=split,
            feature="",
            kind="TOO_FEW_ROWS",
            description=f"Not measured: {rows} rows, fewer than the "
            f"{config.min_rows_to_compare} a comparison needs to rise above sampling noise.",
            blocking=False,
        )
    ]


def evaluate(
    statistics: dict[str, Any],
    anomalies: dict[str, Any],
    schema,
    previous_statistics_uri: str,
    config: GateConfig,
) -> gate.GateOutcome:
    """The gate's whole decision on loaded artifacts."""
    findings = gate.schema_findings(anomalies, config)
    findings += gate.empty_split_findings(statistics, config)
    measurements = []
    train = statistics.get(TRAIN_SPLIT)
    if train is None or findings_block_splits(findings):
        return gate.decide(findings, previous_statistics_uri, measurements)
    for split, stats in sorted(statistics.items()):
        if split == TRAIN_SPLIT:
            continue
        too_few = _too_few_rows("skew", split, min(_rows(train), _rows(stats)), config)
        if too_few:
            findings += too_few
            continue
        skew = data_checks.compare_statistics(train, schema, serving=stats, thresholds=config.skew)
        findings += _change_findings("skew", split, skew, config)
        measurements += _measurements("skew", split, skew)
    if previous_statistics_uri:
        previous = _load_train_statistics(previous_statistics_uri)
        too_few = _too_few_rows("drift", TRAIN_SPLIT, min(_rows(train), _rows(previous)), config)
        if too_few:
            findings += too_few
        else:
            drift = data_checks.compare_statistics(
                train, schema, previous=previous, thresholds=config.drift
            )
            findings += _change_findings("drift", TRAIN_SPLIT, drift, config)
            measurements += _measurements("drift", TRAIN_SPLIT, drift)
    return gate.decide(findings, previous_statistics_uri, measurements)


def findings_block_splits(findings: list[gate.Finding]) -> bool:
    """An empty split leaves nothing to compare distributions with."""
    return any(f.check == "empty split" for f in findings)


class DataGateSpec(types.ComponentSpec):
    PARAMETERS = {  # noqa: RUF012 - TFX reads specs from plain class attributes
        CONFIG_KEY: component_spec.ExecutionParameter(type=str),
    }
    INPUTS = {  # noqa: RUF012
        STATISTICS_KEY: component_spec.ChannelParameter(type=standard_artifacts.ExampleStatistics),
        SCHEMA_KEY: component_spec.ChannelParameter(type=standard_artifacts.Schema),
        ANOMALIES_KEY: component_spec.ChannelParameter(type=standard_artifacts.ExampleAnomalies),
        PREVIOUS_KEY: component_spec.ChannelParameter(type=DataValidation, optional=True),
    }
    OUTPUTS = {  # noqa: RUF012
        RESULT_KEY: component_spec.ChannelParameter(type=DataValidation),
    }


class DataGateExecutor(base_executor.BaseExecutor):
    """Decides, writes `gate.json`, and fails the execution when blocked."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> execution_result_pb2.ExecutorOutput | None:
        config = config_from_json(exec_properties[CONFIG_KEY])
        statistics = artifact_utils.get_single_instance(input_dict[STATISTICS_KEY])
        schema_uri = artifact_utils.get_single_instance(input_dict[SCHEMA_KEY]).uri
        schema = io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(schema_uri))
        anomalies = _per_split(
            artifact_utils.get_single_instance(input_dict[ANOMALIES_KEY]),
            validator_executor.DEFAULT_FILE_NAME,
            anomalies_util.load_anomalies_binary,
        )
        previous = input_dict.get(PREVIOUS_KEY) or []
        previous_uri = (
            previous[0].get_string_custom_property(STATISTICS_URI_PROPERTY) if previous else ""
        )
        outcome = evaluate(load_statistics(statistics), anomalies, schema, previous_uri, config)

        if not outcome.passed:
            return execution_result_pb2.ExecutorOutput(
                execution_result=execution_result_pb2.ExecutionResult(
                    code=BLOCKED_CODE, result_message=outcome.to_json()
                )
            )
        result = artifact_utils.get_single_instance(output_dict[RESULT_KEY])
        io_utils.write_string_file(os.path.join(result.uri, RESULT_FILE), outcome.to_json())
        result.set_int_custom_property(PASSED_PROPERTY, 1)
        result.set_int_custom_property(STATISTICS_ID_PROPERTY, statistics.id)
        result.set_string_custom_property(STATISTICS_URI_PROPERTY, statistics.uri)
        return None


class DataGate(base_component.BaseComponent):
    """Stops the pipeline before Transform when the data is not fit to train on."""

    SPEC_CLASS = DataGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(DataGateExecutor)

    def __init__(
        self,
        statistics: types.BaseChannel,
        schema: types.BaseChannel,
        anomalies: types.BaseChannel,
        config: GateConfig,
        previous: types.BaseChannel | None = None,
    ) -> None:
        spec = DataGateSpec(
            statistics=statistics,
            schema=schema,
            anomalies=anomalies,
            previous=previous,
            gate_config=config_to_json(config),
            result=types.Channel(type=DataValidation),
        )
        super().__init__(spec=spec)


class PreviousAcceptedStrategy(resolver.ResolverStrategy):
    """The newest gate result that passed on statistics other than the current ones.

    Excluding the current statistics keeps an unchanged rerun fully cached:
    the gate's inputs are the same as last time, not its own last output.
    """

    def resolve_artifacts(
        self, store, input_dict: dict[str, list[types.Artifact]]
    ) -> dict[str, list[types.Artifact]]:
        current = {a.id for a in input_dict.get(CANDIDATE_KEY, [])}
        passed = [
            r
            for r in input_dict.get(PREVIOUS_KEY, [])
            if r.get_int_custom_property(PASSED_PROPERTY) == 1
            and r.get_int_custom_property(STATISTICS_ID_PROPERTY) not in current
        ]
        newest = max(passed, key=lambda r: r.id, default=None)
        return {
            PREVIOUS_KEY: [newest] if newest else [],
            CANDIDATE_KEY: input_dict.get(CANDIDATE_KEY, []),
        }
