"""The model card's words for the fairness check do not overstate it."""

from __future__ import annotations

import pytest

from pipeline.components.pusher.model_card import fairness_status


@pytest.mark.parametrize(
    ("fairness", "blocked", "status"),
    [
        ({"breaches": []}, False, "passed"),
        (
            {"breaches": ["a", "b", "c", "d"]},
            False,
            "reported, not blocking: 4 gap(s) over the limit",
        ),
        ({"breaches": ["a"]}, True, "blocked"),
        (None, False, "did not run"),
    ],
)
def test_fairness_status(fairness, blocked, status):
    assert fairness_status(fairness, blocked) == status
