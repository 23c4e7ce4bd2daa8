"""Statistics charts overlay splits on shared buckets, labelled as the feature reads."""

from __future__ import annotations

import pytest
from statistics_protos import FLOAT, INT, split

from pipeline.config import GateConfig
from reports import charts, statistics

GATE = GateConfig(long_tailed=("fare",), time_feature="trip_start_timestamp")


def recorded(statistics_by_split, gate=GATE) -> dict[str, tuple]:
    """Chart title -> the arguments `feature_charts` drew it with."""
    calls = {}

    def draw(chart, *args):
        calls[args[2] if chart is charts.histogram else args[1]] = (chart, *args)
        return "<svg/>"

    statistics.feature_charts(statistics_by_split, draw, gate)
    return calls


TRAIN = split(
    100,
    fare=(FLOAT, {"QUANTILES": [(0, 5, 50), (5, 700, 50)], "STANDARD": [(0, 700, 100)]}),
    trip_start_timestamp=(INT, {"STANDARD": [(1356998400, 1483228800, 100)]}),
    trip_start_hour=[("17", 30), ("3", 20), ("0", 10)],
)
EVAL = split(
    40,
    fare=(FLOAT, {"QUANTILES": [(0, 10, 20), (10, 20, 20)], "STANDARD": [(0, 20, 40)]}),
    trip_start_timestamp=(INT, {"STANDARD": [(1356998400, 1420070400, 40)]}),
    trip_start_hour=[("3", 20), ("17", 10), ("0", 10)],
)


def test_every_split_of_a_long_tailed_feature_is_on_the_train_splits_quantiles():
    _, labels, series, _, xlabel = recorded({"eval": EVAL, "train": TRAIN})["fare"]

    assert labels == ["0", "5", "700"]
    assert series["train"] == pytest.approx([0.5, 0.5])
    # Eval's 0..20 would fill its own buckets; on train's, most of it is in the first.
    assert series["eval"] == pytest.approx([0.25, 0.75])
    assert xlabel == "fare (quantile buckets of train)"


def test_the_time_feature_is_bucketed_over_both_ranges_and_labelled_with_dates():
    _, labels, series, _, xlabel = recorded({"train": TRAIN, "eval": EVAL})["trip_start_timestamp"]

    assert labels[0] == "2013-01-01" and labels[-1] == "2017-01-01"
    assert len(series["train"]) == len(series["eval"]) == len(labels) - 1
    # Eval ends in 2015: nothing of it after the middle of the common range.
    assert sum(series["eval"][len(labels) // 2 :]) == pytest.approx(0)
    assert xlabel.endswith("(equal-width buckets)")


def test_number_like_categories_are_shown_in_natural_order():
    _, series, _ = recorded({"train": TRAIN, "eval": EVAL})["trip_start_hour"]

    assert list(series) == ["train", "eval"]
    assert list(series["train"]) == ["0", "3", "17"]
    assert series["eval"]["17"] == pytest.approx(10 / 40)


def test_without_a_gate_config_every_feature_gets_equal_width_buckets():
    _, labels, series, _, xlabel = recorded({"train": TRAIN, "eval": EVAL}, None)["fare"]

    assert len(labels) == 11 and labels[0] == "0" and labels[-1] == "700"
    assert series["eval"][0] == pytest.approx(1.0)
    assert xlabel == "fare (equal-width buckets)"
