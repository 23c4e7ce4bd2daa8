"""The scores attributions and the skill check compute in NumPy, as TFMA defines them."""

from __future__ import annotations

import numpy as np
import pytest

from models import scoring


def test_auc_of_perfect_reversed_and_uninformative_scores():
    y = np.array([0, 0, 1, 1])
    assert scoring.auc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert scoring.auc(y, np.array([0.9, 0.8, 0.2, 0.1])) == 0.0
    assert scoring.auc(y, np.full(4, 0.5)) == 0.5


def test_auc_matches_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    scores = np.round(rng.random(300), 1)  # many ties
    pos, neg = scores[y == 1], scores[y == 0]
    pairs = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    assert scoring.auc(y, scores) == pytest.approx(pairs / (len(pos) * len(neg)))


def test_auc_needs_both_classes():
    with pytest.raises(ValueError, match="both classes"):
        scoring.auc(np.ones(3), np.array([0.1, 0.2, 0.3]))


def test_accuracy_and_log_loss_by_task():
    y = np.array([0, 1, 1, 0])
    assert scoring.accuracy(y, np.array([0.2, 0.7, 0.4, 0.1]), "binary") == 0.75
    probabilities = np.array([[0.8, 0.2], [0.1, 0.9], [0.3, 0.7], [0.6, 0.4]])
    assert scoring.accuracy(y, probabilities, "multiclass") == 1.0
    assert scoring.log_loss(y, probabilities, "multiclass") == pytest.approx(
        -np.mean(np.log([0.8, 0.9, 0.7, 0.6]))
    )


@pytest.mark.parametrize(
    ("task", "train", "expected"),
    [
        ("binary", [0, 0, 0, 1], 0.25),
        ("regression", [1.0, 2.0, 6.0], 3.0),
    ],
)
def test_the_trivial_predictor_says_the_train_rate_or_mean(task, train, expected):
    predictions = scoring.trivial_predictions(np.array(train), 5, task, classes=2)
    assert predictions.tolist() == [expected] * 5


def test_the_trivial_multiclass_predictor_says_the_class_shares():
    predictions = scoring.trivial_predictions(np.array([0, 2, 2, 2]), 2, "multiclass", 3)
    assert predictions.tolist() == [[0.25, 0.0, 0.75]] * 2
    # It always picks the majority class: its accuracy is that class's share.
    assert scoring.accuracy(np.array([2, 1]), predictions, "multiclass") == 0.5
