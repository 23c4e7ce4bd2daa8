"""The gate's executor: what it measures, and what it leaves unmeasured, on loaded statistics."""

from __future__ import annotations

from tensorflow_metadata.proto.v0 import statistics_pb2

from pipeline.components.data_gate import executor as gate_component
from pipeline.config import GateConfig


def _stats(rows: int) -> statistics_pb2.DatasetFeatureStatisticsList:
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    stats.datasets.add(num_examples=rows)
    return stats


def test_splits_too_small_to_compare_are_noted_not_blocked():
    statistics = {"train": _stats(700), "validation": _stats(100), "eval": _stats(200)}
    outcome = gate_component.evaluate(statistics, {}, None, "", GateConfig())
    assert outcome.passed and outcome.measurements == ()
    assert [(f.split, f.kind, f.blocking) for f in outcome.findings] == [
        ("eval", "TOO_FEW_ROWS", False),
        ("validation", "TOO_FEW_ROWS", False),
    ]
    assert "fewer than the 1000" in outcome.findings[0].description
