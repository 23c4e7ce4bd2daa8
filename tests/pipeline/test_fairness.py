"""Fairness: the evaluator's extra metrics and slices, and gaps between slices."""

from __future__ import annotations

import json
import math

import pytest
import tensorflow_model_analysis as tfma

from models import features as F
from pipeline import fairness
from pipeline.config import EvalThresholds, FairnessConfig
from pipeline.evaluation import eval_config


def _metric_names(config) -> list[str]:
    names = []
    for spec in config.metrics_specs:
        for metric in spec.metrics:
            names.append(json.loads(metric.config).get("name") if metric.config else None)
    return names


def test_the_evaluation_gets_both_rates_at_every_threshold_and_each_fairness_slice():
    config = FairnessConfig(thresholds=(0.3, 0.5, 0.7), extra_slice_features=("trip_start_day",))
    base = eval_config(EvalThresholds())
    extended = fairness.with_fairness(base, config)

    names = _metric_names(extended)
    for rate in fairness.RATES:
        for threshold in config.thresholds:
            assert names.count(fairness.metric_name(rate, threshold)) == 1
    classes = [m.class_name for s in extended.metrics_specs for m in s.metrics]
    # The base evaluation counts examples already: no second ExampleCount.
    assert classes.count("ExampleCount") == 1
    sliced = [tuple(s.feature_keys) for s in extended.slicing_specs]
    assert len(sliced) == len(set(sliced)), "no slice is computed twice"
    for feature in (*F.FAIRNESS_SLICE_FEATURES, "trip_start_day"):
        assert (feature,) in sliced
    # The Evaluator's own configuration is left as it was.
    assert list(extended.metrics_specs)[: len(base.metrics_specs)] == list(base.metrics_specs)
    assert len(base.metrics_specs) + 1 == len(extended.metrics_specs)


def test_example_count_is_added_when_the_evaluation_does_not_count():
    bare = tfma.EvalConfig(model_specs=[tfma.ModelSpec(label_key="y")])
    extended = fairness.with_fairness(bare, FairnessConfig())
    classes = [m.class_name for s in extended.metrics_specs for m in s.metrics]
    assert classes.count("ExampleCount") == 1
    assert sorted(set(classes)) == ["ExampleCount", "FallOut", "MissRate"]


def _metrics(slices: dict[str, tuple[int, float, float]], feature="payment_type") -> dict:
    """(feature, value) -> TFMA-like metrics: examples, FPR and FNR at 0.5."""
    return {
        (feature, value): {
            "example_count": n,
            "false_positive_rate@0.5": fpr,
            "false_negative_rate@0.5": fnr,
        }
        for value, (n, fpr, fnr) in slices.items()
    }


def test_a_gap_is_the_spread_over_slices_large_enough_to_count():
    config = FairnessConfig(thresholds=(0.5,), min_slice_examples=100)
    metrics = _metrics(
        {
            "Cash": (500, 0.05, 0.9),
            "Credit Card": (400, 0.25, 0.2),
            "Dispute": (3, 1.0, 0.0),  # too small: its rates would dominate the gap
            "Prcard": (150, math.nan, 0.5),  # no negatives: FPR undefined
        }
    )
    rates = fairness.slice_rates(metrics, config)
    gaps = {(g.feature, g.rate): g for g in fairness.gaps(rates, config)}

    fpr = gaps[("payment_type", "false_positive_rate")]
    assert fpr.gap == pytest.approx(0.20)
    assert (fpr.highest, fpr.lowest, fpr.slices) == ("Credit Card", "Cash", 2)
    fnr = gaps[("payment_type", "false_negative_rate")]
    assert fnr.gap == pytest.approx(0.7)
    assert (fnr.highest, fnr.lowest, fnr.slices) == ("Cash", "Credit Card", 3)
    assert fnr.breached and not fpr.breached  # default limits 0.5
    company = gaps[("company", "false_positive_rate")]
    assert company.gap is None and company.slices == 0 and not company.breached
    dispute = [r for r in rates if r.value == "Dispute"]
    assert dispute and not any(r.counted for r in dispute)


@pytest.mark.parametrize("blocking", [False, True])
def test_only_a_blocking_check_blocks_on_a_breach(blocking):
    config = FairnessConfig(thresholds=(0.5,), max_false_negative_rate_gap=0.1, blocking=blocking)
    rates = fairness.slice_rates(
        _metrics({"Cash": (500, 0.1, 0.9), "Credit Card": (500, 0.1, 0.3)}), config
    )
    outcome = fairness.FairnessOutcome(
        rates=tuple(rates),
        gaps=tuple(fairness.gaps(rates, config)),
        blocking=config.blocking,
        min_slice_examples=config.min_slice_examples,
    )
    assert [g.rate for g in outcome.breaches] == ["false_negative_rate"]
    assert outcome.blocked is blocking
    assert fairness.FairnessOutcome.from_json(outcome.to_json()) == outcome
    line = fairness.describe(outcome.breaches[0])
    assert "payment_type: false negative rate gap at 0.5 is 0.600" in line
    assert "above the limit 0.1" in line


def test_the_config_survives_the_component_parameter_round_trip():
    config = FairnessConfig(
        extra_slice_features=("trip_start_hour",),
        thresholds=(0.25, 0.75),
        max_false_positive_rate_gap=0.2,
        blocking=True,
    )
    again = fairness.config_from_json(fairness.config_to_json(config))
    assert again == config
    assert again.slice_features == (*F.FAIRNESS_SLICE_FEATURES, "trip_start_hour")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"thresholds": (0.5, 1.0)}, "thresholds must lie in"),
        ({"thresholds": ()}, "thresholds must lie in"),
        ({"max_false_positive_rate_gap": 1.5}, "max_false_positive_rate_gap must be in"),
        ({"min_slice_examples": 0}, "min_slice_examples must be at least 1"),
        ({"extra_slice_features": ("tips",)}, "extra_slice_features must be model features"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FairnessConfig(**kwargs)
