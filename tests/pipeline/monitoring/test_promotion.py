"""The promotion decision: each condition refuses on its own, and every reason is named."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from pipeline.config import MonitorConfig
from pipeline.monitoring.check import VersionCheck
from pipeline.monitoring.predictions import PredictionComparison
from pipeline.monitoring.promotion import decide, stable_comparisons

OUTPUT = "big_tipper_probability"
CONFIG = MonitorConfig()


def _probabilities(seed: int, low: float = 0.0, high: float = 1.0, rows: int = 2000):
    return np.random.default_rng(seed).uniform(low, high, size=(rows, 1))


def _eval_comparison(distance: float) -> PredictionComparison:
    return PredictionComparison(
        output=OUTPUT, edges=[0.0, 1.0], labels=["0", "1"], served=[1.0], eval=[1.0],
        served_rows=1500, eval_rows=2000, distance=distance,
        threshold=CONFIG.prediction_js_distance,
    )  # fmt: skip


def _check(version: str, outputs, **changes) -> VersionCheck:
    """A version whose monitor result is clean, unless `changes` say otherwise."""
    clean = VersionCheck(
        version=version,
        requests=150,
        rows=1500,
        run_id="run-1",
        skew=pd.DataFrame([{"feature": "fare", "result": "ok"}]),
        predictions=[_eval_comparison(0.05)],
        served_outputs={OUTPUT: outputs},
    )
    return dataclasses.replace(clean, **changes)


@pytest.fixture
def canary() -> VersionCheck:
    return _check("2", _probabilities(1))


@pytest.fixture
def stable() -> VersionCheck:
    return _check("1", _probabilities(2))


def test_a_clean_canary_agreeing_with_stable_is_promoted(canary, stable):
    assert decide(canary, stable) == (True, [])


def test_the_canary_and_stable_predictions_are_compared_on_shared_buckets(canary, stable):
    (comparison,) = stable_comparisons(canary, stable, CONFIG)
    assert comparison.output == OUTPUT
    assert comparison.distance < comparison.threshold == CONFIG.prediction_js_distance


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"requests": 99}, "answered 99 logged requests, fewer than the 100 required"),
        ({"unchecked": "Training statistics not found"}, "was not checked: Training statistics"),
        ({"skew": pd.DataFrame([{"feature": "fare", "result": "over"}])}, "skew in fare"),
        ({"anomalies": {"payment_type": "Unexpected string values"}}, "anomalies in payment_type"),
        ({"predictions": [_eval_comparison(0.5)]}, f"prediction distribution moved: {OUTPUT}"),
        ({"skew": None}, "skew was not measured"),
        ({"predictions": []}, "predictions were not compared with the eval split's"),
    ],
    ids=["volume", "unchecked", "skew", "anomalies", "moved", "unmeasured", "uncompared"],
)
def test_each_failed_condition_of_the_canary_alone_refuses(canary, stable, changes, reason):
    ok, reasons = decide(dataclasses.replace(canary, **changes), stable)

    assert not ok
    assert len(reasons) == 1 and reason in reasons[0], reasons


def test_predictions_unlike_the_stable_versions_refuse(canary, stable):
    shifted = dataclasses.replace(canary, served_outputs={OUTPUT: _probabilities(1, 0.8, 1.0)})

    ok, reasons = decide(shifted, stable)

    assert not ok
    (reason,) = reasons
    assert f"the canary's {OUTPUT} differ from the stable version's (version 1)" in reason
    assert f"over the threshold {CONFIG.prediction_js_distance}" in reason


@pytest.mark.parametrize(
    ("stable_changes", "reason"),
    [
        ({"requests": 0, "served_outputs": {}}, "no logged traffic of the stable version"),
        ({"served_outputs": {"other": _probabilities(3)}}, "no output both answered"),
    ],
    ids=["no-traffic", "no-shared-output"],
)
def test_nothing_to_compare_with_on_the_stable_side_refuses(canary, stable, stable_changes, reason):
    ok, reasons = decide(canary, dataclasses.replace(stable, **stable_changes))
    assert not ok and len(reasons) == 1 and reason in reasons[0], reasons


def test_a_stable_version_without_logs_refuses(canary):
    ok, reasons = decide(canary, None)
    assert not ok and reasons == [
        "no logged traffic of the stable version in the period to compare the canary with"
    ]


def test_a_canary_without_traffic_refuses(stable):
    ok, reasons = decide(None, stable)
    assert not ok and reasons == ["no logged traffic of the canary: 0 requests, 100 required"]


def test_every_failed_condition_is_named_at_once(canary, stable):
    bad = dataclasses.replace(
        canary, requests=3, anomalies={"company": "x"},
        served_outputs={OUTPUT: _probabilities(1, 0.9, 1.0)},
    )  # fmt: skip

    ok, reasons = decide(bad, stable)

    assert not ok
    assert [r.split(":")[0] for r in reasons] == [
        "too little traffic",
        "the canary's monitor result",
        f"the canary's {OUTPUT} differ from the stable version's (version 1)",
    ]


def test_the_minimum_comes_from_the_config_or_the_caller(canary, stable):
    assert not decide(canary, stable, MonitorConfig(promotion_min_requests=151)).ok
    assert decide(canary, stable, MonitorConfig(promotion_min_requests=151), min_requests=150).ok
    with pytest.raises(ValueError, match="promotion_min_requests"):
        MonitorConfig(promotion_min_requests=0)
