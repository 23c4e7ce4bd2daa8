"""Gaps of the error rates between slices, and when a gap blocks."""

from __future__ import annotations

import json
import math

import pytest

from models.dataset import DatasetSpec
from pipeline.components.fairness_check import decision as fairness
from pipeline.components.fairness_check.metrics import measures
from pipeline.config import FairnessConfig

FEATURES = ("payment_type", "company")
BINARY = DatasetSpec(name="toy", task="binary", label={"column": "y", "classes": ("n", "y")})


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
    config = FairnessConfig(features=FEATURES, thresholds=(0.5,), min_slice_examples=100)
    compared = measures(BINARY, config)
    metrics = _metrics(
        {
            "Cash": (500, 0.05, 0.9),
            "Credit Card": (400, 0.25, 0.2),
            "Dispute": (3, 1.0, 0.0),  # too small: its rates would dominate the gap
            "Prcard": (150, math.nan, 0.5),  # no negatives: FPR undefined
        }
    )
    rates = fairness.slice_rates(metrics, config, compared)
    gaps = {(g.feature, g.rate): g for g in fairness.gaps(rates, config, compared)}

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
    config = FairnessConfig(
        features=FEATURES, thresholds=(0.5,), max_false_negative_rate_gap=0.1, blocking=blocking
    )
    compared = measures(BINARY, config)
    rates = fairness.slice_rates(
        _metrics({"Cash": (500, 0.1, 0.9), "Credit Card": (500, 0.1, 0.3)}), config, compared
    )
    outcome = fairness.FairnessOutcome(
        rates=tuple(rates),
        gaps=tuple(fairness.gaps(rates, config, compared)),
        blocking=config.blocking,
        min_slice_examples=config.min_slice_examples,
    )
    assert [g.rate for g in outcome.breaches] == ["false_negative_rate"]
    assert outcome.blocked is blocking
    assert fairness.FairnessOutcome.from_json(outcome.to_json()) == outcome
    line = fairness.describe(outcome.breaches[0])
    assert "payment_type: false negative rate gap at 0.5 is 0.600" in line
    assert "above the limit 0.1" in line


def test_a_multiclass_model_is_compared_class_by_class():
    spec = DatasetSpec(
        name="toy", task="multiclass", label={"column": "y", "classes": ("a", "b", "c")}
    )
    config = FairnessConfig(features=("island",), thresholds=(0.5,), min_slice_examples=10)
    compared = measures(spec, config)
    assert {(m.class_name, m.rate) for m in compared} == {
        (c, r) for c in "abc" for r in ("false_positive_rate", "false_negative_rate")
    }
    metrics = {
        ("island", name): {
            "example_count": 50,
            "false_positive_rate@0.5[class 0]": fpr,
            "false_negative_rate@0.5[class 0]": 0.1,
        }
        for name, fpr in (("Biscoe", 0.05), ("Dream", 0.4))
    }
    gaps = fairness.gaps(fairness.slice_rates(metrics, config, compared), config, compared)
    (gap,) = [g for g in gaps if g.class_name == "a" and g.rate == "false_positive_rate"]
    assert gap.gap == pytest.approx(0.35) and gap.highest == "Dream"
    assert "false positive rate of class 'a' gap at 0.5 is 0.350" in fairness.describe(gap)
    assert all(g.gap is None for g in gaps if g.class_name != "a")


def test_a_regression_compares_the_mean_absolute_error_without_a_limit_by_default():
    spec = DatasetSpec(name="toy", task="regression", label={"column": "y"})
    config = FairnessConfig(features=("sex",), min_slice_examples=10)
    compared = measures(spec, config)
    metrics = {
        ("sex", "female"): {"example_count": 30, "mean_absolute_error": 210.0},
        ("sex", "male"): {"example_count": 32, "mean_absolute_error": 330.0},
    }
    (gap,) = fairness.gaps(fairness.slice_rates(metrics, config, compared), config, compared)
    assert gap.gap == pytest.approx(120.0) and gap.limit is None and not gap.breached
    limited = FairnessConfig(features=("sex",), min_slice_examples=10, max_error_gap=100.0)
    (gap,) = fairness.gaps(fairness.slice_rates(metrics, limited, compared), limited, compared)
    assert gap.breached


def test_the_caveats_travel_with_the_outcome_and_read_in_the_gaps_order():
    config = FairnessConfig(features=FEATURES, thresholds=(0.5,))
    compared = measures(BINARY, config)
    rates = fairness.slice_rates(_metrics({"Cash": (500, 0.05, 0.9)}), config, compared)
    outcome = fairness.FairnessOutcome(
        rates=tuple(rates),
        gaps=tuple(fairness.gaps(rates, config, compared)),
        blocking=False,
        min_slice_examples=100,
        caveats={"company": "Small companies.", "payment_type": "Cash tips are not recorded."},
    )

    again = fairness.FairnessOutcome.from_json(outcome.to_json())
    assert again == outcome
    assert again.caveat_lines() == [
        "payment_type: Cash tips are not recorded.",
        "company: Small companies.",
    ]
    # A result written before caveats existed still reads.
    old = json.loads(outcome.to_json())
    del old["caveats"]
    assert fairness.FairnessOutcome.from_json(json.dumps(old)).caveats == {}
