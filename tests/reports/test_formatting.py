"""Codes read as codes, the time feature as dates, amounts as amounts."""

from __future__ import annotations

import pytest

from reports import formatting
from reports.formatting import Role

TIME = "trip_start_timestamp"


@pytest.mark.parametrize(
    ("name", "integer", "expected"),
    [
        ("dropoff_census_tract", True, Role.IDENTIFIER),
        ("pickup_community_area", True, Role.IDENTIFIER),
        ("customer_id", True, Role.IDENTIFIER),
        ("zip", True, Role.IDENTIFIER),
        # A float named like a code is an amount (a floor area).
        ("living_area", False, Role.QUANTITY),
        # "idle" and "tracts_count" are words of their own, not the code parts.
        ("idle_seconds", True, Role.QUANTITY),
        ("trip_seconds", True, Role.QUANTITY),
        (TIME, True, Role.TIMESTAMP),
    ],
)
def test_the_role_of_a_feature_follows_its_name_and_type(name, integer, expected):
    assert formatting.role(name, integer=integer, time_feature=TIME) is expected


def test_identifiers_have_no_thousands_separators_and_no_mean():
    assert formatting.value(17031010100.0, Role.IDENTIFIER) == "17031010100"
    assert formatting.summary("mean", 17031010100.0, Role.IDENTIFIER) == ""
    assert formatting.summary("std", 331000.0, Role.IDENTIFIER) == ""
    assert formatting.summary("max", 17031010100.0, Role.QUANTITY) == "17,031,010,100"


def test_timestamps_read_as_utc_dates_and_their_spread_in_days():
    assert formatting.value(1356998400, Role.TIMESTAMP) == "2013-01-01 UTC"
    assert formatting.value(1356998400 + 3600 * 17.5, Role.TIMESTAMP) == "2013-01-01 17:30 UTC"
    assert formatting.summary("std", 339 * 86400 + 100, Role.TIMESTAMP) == "339 days"
    assert formatting.edge_labels([1356998400, 1483228800], Role.TIMESTAMP) == [
        "2013-01-01",
        "2017-01-01",
    ]


def test_edge_labels_are_short_numbers_without_exponents():
    assert formatting.edge_labels([0, 4.8372, 1234.5, 700.07], Role.QUANTITY) == [
        "0",
        "4.84",
        "1,230",
        "700",
    ]
    assert formatting.edge_labels([1.0, 8.6, 77.0], Role.IDENTIFIER) == ["1", "9", "77"]


def test_only_whole_numbers_have_a_natural_order():
    assert formatting.natural_order(["17", "3", "0", "23"]) == ["0", "3", "17", "23"]
    assert formatting.natural_order(["Cash", "3"]) is None
    assert formatting.natural_order(["1.5", "2"]) is None


def test_values_are_in_natural_order_numbers_by_number_names_by_name():
    assert formatting.value_order(["17", "3", "0"]) == ["0", "3", "17"]
    assert formatting.value_order(["cash", "Credit Card", "Cash", "3"]) == [
        "3",
        "Cash",
        "cash",
        "Credit Card",
    ]
