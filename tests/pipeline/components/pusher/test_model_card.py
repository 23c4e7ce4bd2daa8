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


def test_the_datasets_caveat_is_listed_with_the_gaps():
    from pipeline.components.pusher.model_card import _fairness_blocks

    fairness = {
        "config": {"thresholds": [0.5], "min_slice_examples": 100},
        "blocking": False,
        "breaches": ["payment_type: false positive rate gap at 0.5 is 1.000"],
        "caveats": ["payment_type: Cash tips are not recorded."],
        "gaps": [],
    }

    blocks = _fairness_blocks(fairness)

    caveats = blocks.index(("items", ["payment_type: Cash tips are not recorded."]))
    assert blocks[caveats - 1] == "Read the gaps with the dataset's caveats:"
    assert caveats > blocks.index(("items", fairness["breaches"]))
