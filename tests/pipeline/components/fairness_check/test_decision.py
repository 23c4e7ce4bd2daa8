"""Gaps of the error rates between slices, and when a gap blocks."""

from __future__ import annotations

import math

import pytest

from pipeline.components.fairness_check import decision as fairness
from pipeline.config import FairnessConfig


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
