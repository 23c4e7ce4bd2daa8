"""Attribution helpers: the AUC they rank features by, and checking a user's example."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from models import attributions


def test_auc_of_perfect_reversed_and_uninformative_scores():
    y = np.array([0, 0, 1, 1])
    assert attributions.auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert attributions.auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert attributions.auc(y, np.full(4, 0.5)) == 0.5


def test_auc_matches_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    scores = np.round(rng.random(300), 1)  # many ties
    pos, neg = scores[y == 1], scores[y == 0]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert attributions.auc(y, scores) == pytest.approx(pairs / (len(pos) * len(neg)))


def test_auc_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        attributions.auc(np.ones(3), np.array([0.1, 0.2, 0.3]))


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
        baseline_auc=0.9,
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
