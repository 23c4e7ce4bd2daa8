"""The DataGate's executor: loads its inputs, decides, and fails the execution when blocked.

The decision itself is pure (`decision.py`, `comparisons.py`); this module only
reads the artifacts, measures skew and drift, and records the outcome.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
from tensorflow_metadata.proto.v0 import anomalies_pb2
from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.proto.orchestration import execution_result_pb2
from tfx.types import artifact_utils
from tfx.utils import io_utils

from models.dataset import DatasetSpec
from pipeline.components import standard_outputs
from pipeline.components.data_gate import comparisons, decision, labels
from pipeline.components.data_gate.artifacts import (
    PASSED_PROPERTY,
    RESULT_FILE,
    STATISTICS_ID_PROPERTY,
    STATISTICS_URI_PROPERTY,
)
from pipeline.components.data_gate.spec import (
    ANOMALIES_KEY,
    CONFIG_KEY,
    DATASET_KEY,
    EXAMPLES_KEY,
    PREVIOUS_KEY,
    RESULT_KEY,
    SCHEMA_KEY,
    STATISTICS_KEY,
    config_from_json,
)
from pipeline.config import GateConfig

TRAIN_SPLIT = "train"
# gRPC's FAILED_PRECONDITION: the data is not in a state to train on.
BLOCKED_CODE = 9


def _change_findings(
    check: str, split: str, anomalies: anomalies_pb2.Anomalies, config: GateConfig
) -> list[decision.Finding]:
    """Findings for TFDV's skew or drift comparators only (schema anomalies come from
    ExampleValidator)."""
    findings = []
    for feature, description in sorted(comparisons.comparator_anomalies(anomalies).items()):
        kinds = [
            anomalies_pb2.AnomalyInfo.Type.Name(r.type)
            for r in anomalies.anomaly_info[feature].reason
            if r.type in comparisons.COMPARATOR_ANOMALY_TYPES
        ]
        findings.append(
            decision.Finding(
                check=check,
                split=split,
                feature=feature,
                kind=",".join(kinds),
                description=description,
                blocking=not decision.accepted(feature, config),
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


def _too_few_rows(check: str, split: str, rows: int, config: GateConfig) -> list[decision.Finding]:
    """A note, not a block: too few rows to tell a real change from sampling noise."""
    if rows >= config.min_rows_to_compare:
        return []
    return [
        decision.Finding(
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
    now: float | None = None,
    train_labels: tuple[np.ndarray, DatasetSpec] | None = None,
) -> decision.GateOutcome:
    """The gate's whole decision on loaded artifacts (`now`: the run's clock;
    `train_labels`: the train split's encoded labels and the spec they follow)."""
    findings = decision.schema_findings(anomalies, config)
    if train_labels is not None:
        findings += decision.label_findings(*train_labels)
    findings += decision.empty_split_findings(statistics, config)
    findings += decision.future_time_findings(
        statistics, config, time.time() if now is None else now
    )
    measurements = []
    train = statistics.get(TRAIN_SPLIT)
    if train is None or findings_block_splits(findings):
        return decision.decide(findings, previous_statistics_uri, measurements)
    columns = {"compared": config.compared, "long_tailed": config.long_tailed}
    for split, stats in sorted(statistics.items()):
        if split == TRAIN_SPLIT:
            continue
        too_few = _too_few_rows("skew", split, min(_rows(train), _rows(stats)), config)
        if too_few:
            findings += too_few
            continue
        skew = comparisons.compare_statistics(
            train, schema, serving=stats, thresholds=config.skew, **columns
        )
        findings += _change_findings("skew", split, skew, config)
        measurements += _measurements("skew", split, skew)
    if previous_statistics_uri:
        previous = standard_outputs.split_statistics(previous_statistics_uri, TRAIN_SPLIT)
        too_few = _too_few_rows("drift", TRAIN_SPLIT, min(_rows(train), _rows(previous)), config)
        if too_few:
            findings += too_few
        else:
            drift = comparisons.compare_statistics(
                train, schema, previous=previous, thresholds=config.drift, **columns
            )
            findings += _change_findings("drift", TRAIN_SPLIT, drift, config)
            measurements += _measurements("drift", TRAIN_SPLIT, drift)
    return decision.decide(findings, previous_statistics_uri, measurements)


def findings_block_splits(findings: list[decision.Finding]) -> bool:
    """An empty split leaves nothing to compare distributions with."""
    return any(f.check == "empty split" for f in findings)


def _train_labels(input_dict, exec_properties, schema) -> tuple[np.ndarray, DatasetSpec] | None:
    examples = input_dict.get(EXAMPLES_KEY) or []
    dataset = exec_properties.get(DATASET_KEY)
    if not examples or not dataset:
        return None
    spec = DatasetSpec.from_json(dataset)
    split_uri = artifact_utils.get_split_uri(examples, TRAIN_SPLIT)
    return labels.train_labels(split_uri, schema, spec), spec


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
        schema = standard_outputs.read_schema(
            artifact_utils.get_single_instance(input_dict[SCHEMA_KEY])
        )
        anomalies = standard_outputs.anomalies_by_split(
            artifact_utils.get_single_instance(input_dict[ANOMALIES_KEY])
        )
        train_labels = _train_labels(input_dict, exec_properties, schema)
        previous = input_dict.get(PREVIOUS_KEY) or []
        previous_uri = (
            previous[0].get_string_custom_property(STATISTICS_URI_PROPERTY) if previous else ""
        )
        outcome = evaluate(
            standard_outputs.statistics_by_split(statistics),
            anomalies,
            schema,
            previous_uri,
            config,
            train_labels=train_labels,
        )

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
