"""Attribution helpers: checking a user's example before it is explained."""

from __future__ import annotations

import pytest
import tensorflow as tf

from models import attributions

DTYPES = {"fare": tf.float32, "trip_start_hour": tf.int64, "payment_type": tf.string}


def test_an_example_becomes_one_row_with_missing_markers():
    columns = attributions.instance_columns({"fare": "12.5", "payment_type": "Cash"}, DTYPES)
    assert columns["fare"].tolist() == [12.5]
    assert columns["payment_type"].tolist() == ["Cash"]
    assert columns["trip_start_hour"].tolist() == [-1]  # missing integer


@pytest.mark.parametrize(
    ("example", "message"),
    [
        ({"fare": "ten"}, "'fare' must be a number, got 'ten'"),
        ({"trip_start_hour": 1.5j}, "'trip_start_hour' must be an integer"),
        ({"fares": 1.0}, r"unknown feature\(s\) \['fares'\]"),
        ([1, 2], "a JSON object of raw features"),
    ],
)
def test_a_bad_example_is_refused_with_the_reason(example, message):
    with pytest.raises(attributions.ExplanationError, match=message):
        attributions.instance_columns(example, DTYPES)


def test_attributions_survive_their_json_file():
    result = attributions.GlobalAttributions(
        method=attributions.METHOD,
        examples=10,
        repeats=2,
        seed=0,
        score="auc",
        baseline_score=0.9,
        features=(attributions.FeatureAttribution("fare", 0.2, 0.01, 0.1),),
        background=({"fare": float("nan"), "payment_type": "Cash"},),
    )
    again = attributions.GlobalAttributions.from_json(result.to_json())
    assert again.features == result.features and again.ranking() == ["fare"]
    assert again.background == ({"fare": None, "payment_type": "Cash"},)


def test_integers_may_come_as_text_or_whole_numbers_but_not_fractions():
    columns = attributions.instance_columns({"trip_start_hour": "7"}, DTYPES)
    assert columns["trip_start_hour"].tolist() == [7]
    assert attributions.instance_columns({"trip_start_hour": 7.0}, DTYPES)[
        "trip_start_hour"
    ].tolist() == [7]
    with pytest.raises(attributions.ExplanationError, match=r"must be an integer, got 7\.5"):
        attributions.instance_columns({"trip_start_hour": 7.5}, DTYPES)
