"""A feature over its skew or drift threshold is drawn reference against current."""

from __future__ import annotations

import pytest
from statistics_protos import FLOAT, split

from pipeline.config import GateConfig
from reports import charts, drift

GATE = GateConfig(long_tailed=("fare",))
PREVIOUS = split(100, fare=(FLOAT, {"QUANTILES": [(0, 5, 50), (5, 700, 50)]}))
CURRENT = split(40, fare=(FLOAT, {"QUANTILES": [(0, 10, 20), (10, 20, 20)]}))


def test_the_current_data_is_drawn_on_the_references_buckets():
    calls = []

    def draw(chart, *args):
        calls.append((chart, *args))
        return "<svg/>"

    compared = drift.Compared("previous run", PREVIOUS, "this run", CURRENT)
    svgs = drift.overlays(["fare", "not a feature"], compared, GATE, draw)

    assert svgs == ["<svg/>"]
    ((chart, labels, series, title, xlabel),) = calls
    assert chart is charts.histogram and title == "fare"
    assert list(series) == ["previous run", "this run"]
    assert labels == ["0", "5", "700"]
    assert series["this run"] == pytest.approx([0.25, 0.75])
    assert xlabel == "fare (quantile buckets of previous run)"
