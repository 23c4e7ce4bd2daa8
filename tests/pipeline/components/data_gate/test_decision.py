"""The gate's decision on anomalies, empty splits and accepted features."""

from __future__ import annotations

from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2

from pipeline.components.data_gate import decision as gate
from pipeline.components.data_gate import spec
from pipeline.config import DriftThresholds, GateConfig

A = anomalies_pb2.AnomalyInfo


def _anomalies(**by_feature: int) -> anomalies_pb2.Anomalies:
    """Anomalies with one ERROR of the given type per feature."""
    proto = anomalies_pb2.Anomalies()
    for feature, type_ in by_feature.items():
        info = proto.anomaly_info[feature]
        info.severity = A.ERROR
        info.description = f"{feature} is wrong."
        info.reason.add(type=type_, description=f"{feature} is wrong.")
    return proto


def _stats(rows: int) -> statistics_pb2.DatasetFeatureStatisticsList:
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    stats.datasets.add(num_examples=rows)
    return stats


def test_a_schema_error_blocks():
    found = gate.schema_findings(
        {"train": _anomalies(payment_type=A.ENUM_TYPE_UNEXPECTED_STRING_VALUES)}, GateConfig()
    )
    outcome = gate.decide(found)
    assert not outcome.passed
    [finding] = outcome.blocking
    assert (finding.feature, finding.split, finding.check) == ("payment_type", "train", "schema")
    assert finding.kind == "ENUM_TYPE_UNEXPECTED_STRING_VALUES"


def test_an_accepted_feature_is_reported_but_does_not_block():
    anomalies = {"train": _anomalies(payment_type=A.ENUM_TYPE_UNEXPECTED_STRING_VALUES)}
    outcome = gate.decide(gate.schema_findings(anomalies, GateConfig(allow=("payment_type",))))
    assert outcome.passed
    assert [f.feature for f in outcome.findings] == ["payment_type"]


def test_allow_all_accepts_everything_once():
    anomalies = {"eval": _anomalies(fare=A.FLOAT_TYPE_SMALL_FLOAT, company=A.SCHEMA_MISSING_COLUMN)}
    assert gate.decide(gate.schema_findings(anomalies, GateConfig(allow=("*",)))).passed


def test_a_new_column_is_reported_without_blocking_unless_configured():
    anomalies = {"train": _anomalies(driver_rating=A.SCHEMA_NEW_COLUMN)}
    lenient = gate.decide(gate.schema_findings(anomalies, GateConfig()))
    assert lenient.passed
    assert "not used for training" in lenient.findings[0].description
    strict = gate.decide(gate.schema_findings(anomalies, GateConfig(block_new_columns=True)))
    assert not strict.passed


def test_an_empty_split_blocks():
    found = gate.empty_split_findings({"train": _stats(100), "validation": _stats(0)}, GateConfig())
    [finding] = found
    assert (finding.split, finding.kind, finding.blocking) == ("validation", "EMPTY_SPLIT", True)


def test_describe_merges_splits_and_leads_with_blocking_findings():
    anomalies = {
        split: _anomalies(payment_type=A.ENUM_TYPE_UNEXPECTED_STRING_VALUES)
        for split in ("train", "eval")
    }
    anomalies["train"].MergeFrom(_anomalies(extra=A.SCHEMA_NEW_COLUMN))
    outcome = gate.decide(gate.schema_findings(anomalies, GateConfig()))
    assert outcome.findings[0].blocking
    lines = gate.describe(outcome.blocking)
    assert lines == ["'payment_type' (schema; eval, train): payment_type is wrong."]


def test_outcome_and_config_survive_their_json_round_trip():
    config = GateConfig(allow=("fare",), drift=DriftThresholds(0.2, 0.7))
    assert spec.config_from_json(spec.config_to_json(config)) == config
    outcome = gate.decide(
        gate.schema_findings({"train": _anomalies(fare=A.FLOAT_TYPE_SMALL_FLOAT)}, config),
        compared_with="/some/statistics",
        measurements=[{"feature": "fare", "value": 0.1}],
    )
    assert gate.GateOutcome.from_json(outcome.to_json()) == outcome
