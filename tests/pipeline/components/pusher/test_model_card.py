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
            "reported, not blocking: 4 gaps over the limit",
        ),
        ({"breaches": ["a"]}, False, "reported, not blocking: 1 gap over the limit"),
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


def test_owners_and_ethical_considerations_come_from_the_dataset_file():
    import taxi_facts

    from pipeline.components.pusher import model_card

    spec = taxi_facts.spec()
    (owner,) = model_card.owners(spec)
    assert owner["name"] and owner["contact"]
    risks = model_card.ethical_considerations(spec)
    assert len(risks) == 3
    assert all(r["name"] and r["mitigation_strategy"] for r in risks)
    assert "cash" in risks[0]["name"].lower()

    (table,) = model_card._consideration_blocks(risks)
    assert table[0] == ["risk", "mitigation strategy"]
    assert table[1][0] == [risks[0]["name"], risks[0]["mitigation_strategy"]]


def test_a_card_says_so_when_the_dataset_file_names_no_owner_or_risk():
    from models.dataset import DatasetSpec
    from pipeline.components.pusher import model_card

    bare = DatasetSpec(name="toy", task="binary", label={"column": "y", "classes": ("n", "y")})

    assert model_card.owners(bare) == [] and model_card.ethical_considerations(bare) == []
    assert model_card._owner_blocks([]) == [model_card.NO_OWNERS]
    assert model_card._consideration_blocks([]) == [model_card.NO_CONSIDERATIONS]
