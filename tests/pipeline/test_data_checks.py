"""Skew and drift measurements on statistics TFDV computes from real rows."""

from __future__ import annotations

import pandas as pd
import pytest
import tensorflow_data_validation as tfdv

from pipeline import data_checks
from pipeline.config import DriftThresholds


@pytest.fixture(scope="module")
def taxi(sample_csv) -> pd.DataFrame:
    return pd.read_csv(sample_csv)


def _stats(frame: pd.DataFrame):
    return tfdv.generate_statistics_from_dataframe(frame)


def _by_feature(changes):
    return {c.feature: c for c in changes}


def test_two_halves_of_the_sample_do_not_count_as_changed(taxi, schema):
    first, second = taxi.iloc[::2], taxi.iloc[1::2]
    changes = data_checks.compare(_stats(second), _stats(first), schema, DriftThresholds())
    assert {c.feature for c in changes} == set(data_checks.compared_features())
    assert not [c for c in changes if c.exceeded]


def test_tenfold_fares_and_a_new_payment_type_are_flagged(taxi, schema):
    shifted = taxi.copy()
    shifted["fare"] = shifted["fare"] * 10
    shifted.loc[shifted.sample(frac=0.3, random_state=0).index, "payment_type"] = "Bitcoin"
    changes = _by_feature(
        data_checks.compare(_stats(shifted), _stats(taxi), schema, DriftThresholds())
    )
    fare, payment = changes["fare"], changes["payment_type"]
    assert fare.measure == data_checks.MEDIAN_SHIFT and fare.exceeded and fare.value > 5
    assert "median moved from" in fare.description
    assert payment.measure == data_checks.LINF and payment.exceeded
    assert payment.value == pytest.approx(0.3, abs=0.02)
    assert "Bitcoin" in payment.description
    assert not changes["trip_miles"].exceeded


def test_thresholds_decide_what_is_exceeded(taxi, schema):
    first, second = taxi.iloc[::2], taxi.iloc[1::2]
    strict = DriftThresholds(categorical_linf=0.0, numeric_median_shift=0.0)
    changes = data_checks.compare(_stats(second), _stats(first), schema, strict)
    assert all(c.threshold == 0.0 for c in changes)
    assert [c for c in changes if c.exceeded], "any difference exceeds a zero threshold"
