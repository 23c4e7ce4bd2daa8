"""Charts a person can read: plain tick numbers, labels of at least 8 pt, legends off the bars."""

from __future__ import annotations

import re

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer

from reports import charts

SERIES = {"train": [0.5, 0.3, 0.2], "eval": [0.1, 0.3, 0.6]}
EDGES = ["0", "5", "10", "700"]


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def font_sizes(svg: str) -> set[float]:
    return {float(size) for size in re.findall(r"font-size: (\d+(?:\.\d+)?)px", svg)}


@pytest.fixture
def figures(monkeypatch):
    """The matplotlib figures the charts draw, besides their SVG."""
    drawn = []
    svg = charts._svg

    def keep(fig):
        drawn.append(fig)
        return svg(fig)

    monkeypatch.setattr(charts, "_svg", keep)
    return drawn


def test_a_histogram_labels_its_bucket_edges_and_both_axes():
    svg = charts.histogram(EDGES, SERIES, "fare", "fare (quantile buckets of train)")

    assert texts(svg)[: len(EDGES)] == EDGES
    assert {"fare (quantile buckets of train)", "share of rows with a value"} <= set(texts(svg))
    assert min(font_sizes(svg)) >= charts.LABEL_SIZE >= 8


def test_large_values_are_written_out_without_an_offset():
    # Census tracts: matplotlib would write "1e6" and "+1.7031e10" beside the axis.
    rows = [("tract a", 17031010100.0, 17031010200.0), ("tract b", 17031020300.0, 1.0)]
    svg = charts.measurements(rows, "tracts")

    assert not any("e+" in t or "1e" in t for t in texts(svg))
    assert min(font_sizes(svg)) >= 8


def test_the_legend_sits_above_the_plot_not_on_the_bars(figures):
    charts.histogram(EDGES, SERIES, "fare", "fare")
    charts.top_values({"train": {"Cash": 0.6, "Card": 0.4}, "eval": {"Cash": 0.5}}, "payment")
    charts.slice_metric([("Cash", 0.9), ("Card", 0.7)], 0.8, "auc by payment_type", "auc")

    for fig in figures:
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        (ax,) = fig.axes
        renderer = canvas.get_renderer()
        legend = ax.get_legend().get_window_extent(renderer)
        plot = ax.get_window_extent(renderer)
        assert legend.y0 >= plot.y1 - 1
        title = ax.title.get_window_extent(renderer)
        assert title.y0 >= legend.y1 - 1, "the title must not cover the legend"


def test_many_edges_get_at_most_a_dozen_labels():
    edges = [str(i) for i in range(41)]
    svg = charts.histogram(edges, {"train": [1 / 40] * 40}, "x", "x")

    shown = [t for t in texts(svg) if t.isdigit()]
    assert len(shown) <= 12 and shown[0] == "0" and shown[-1] == "40"


def test_slice_bars_carry_their_intervals_as_error_bars(figures):
    rows = [("Cash", 0.9), ("Card", 0.7), ("Other", 0.8)]
    charts.slice_metric(rows, 0.8, "auc by payment_type", "auc", ((0.85, 0.95), None, (0.6, 1.0)))
    charts.slice_metric(rows, 0.8, "auc by payment_type", "auc")

    with_bounds, without = (_bars(fig) for fig in figures)
    ends = [x for s in with_bounds.errorbar.lines[2][0].get_segments() for x in (s[0][0], s[1][0])]
    assert ends == pytest.approx([0.85, 0.95, 0.7, 0.7, 0.6, 1.0])  # None: a bar of no width
    assert without.errorbar is None


def _bars(fig) -> BarContainer:
    (ax,) = fig.axes
    return next(c for c in ax.containers if isinstance(c, BarContainer))
