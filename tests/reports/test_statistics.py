"""Statistics charts overlay splits on shared buckets, labelled as the feature reads."""

from __future__ import annotations

import pandas as pd
import pytest
from statistics_protos import FLOAT, INT, split, summarized

from pipeline.config import GateConfig
from reports import charts, statistics
from reports.section import Section

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


SUMMARIES = summarized(
    100,
    dropoff_census_tract=(INT, 80, 17031500000.0, 331000.0, 17031010100, 17031320100, 17031980000),
    trip_start_timestamp=(INT, 100, 1.4e9, 339 * 86400.0, 1356998400, 1.4e9, 1483228800),
    pickup_census_tract=(INT, 1, 17031080800.0, 0.0, 17031080800, 17031080800, 17031080800),
    # TFDV writes 0 for the summary of a column without any value.
    never_filled=(FLOAT, 0, 0.0, 0.0, 0.0, 0.0, 0.0),
    fare=(FLOAT, 100, 11.76, 11.99, 0.0, 7.85, 700.07),
)


def readable() -> pd.DataFrame:
    table = statistics.feature_table(SUMMARIES)
    return statistics.readable_table(table, "trip_start_timestamp").set_index("feature")


def test_codes_are_shown_as_codes_without_a_mean():
    tract = readable().loc["dropoff_census_tract"]
    assert (tract["min"], tract["max"]) == ("17031010100", "17031980000")
    assert tract["mean"] == tract["std"] == ""


def test_the_time_feature_is_shown_as_utc_dates():
    time = readable().loc["trip_start_timestamp"]
    assert (time["min"], time["max"]) == ("2013-01-01 UTC", "2017-01-01 UTC")
    assert time["std"] == "339 days"


def test_a_feature_without_values_shows_dashes_not_zeros():
    table = statistics.feature_table(SUMMARIES).set_index("feature")
    assert table.loc["never_filled", ["mean", "min", "max"]].isna().all()
    shown = readable().loc["never_filled"]
    assert set(shown[["mean", "std", "min", "median", "max", "zeros %"]]) == {"—"}
    # Amounts keep their usual format.
    assert readable().loc["fare", "max"] == "700.1"


def test_a_mostly_missing_column_is_named_and_its_row_highlighted():
    table = statistics.feature_table(SUMMARIES)
    missing = statistics.mostly_missing(table)
    assert list(missing["feature"]) == ["never_filled", "pickup_census_tract"]

    section = Section("Statistics", "statistics")
    section.table("train", table, shown=readable().reset_index(), flagged=list(missing.index))
    rows = section.body_html().split("<tbody>")[1].split("</tr>")
    flagged = [r for r in rows if 'class="flagged"' in r]
    assert len(flagged) == 2
    assert "pickup_census_tract" in flagged[1] and "fare" not in "".join(flagged)
    # The data stays numbers; only the page shows dates and codes.
    assert section.tables["train"]["count"].dtype.kind == "i"
