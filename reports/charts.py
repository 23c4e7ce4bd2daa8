"""Small matplotlib charts rendered to SVG text: no browser code, no network.

Figures are built with `matplotlib.figure.Figure` directly, not pyplot, so
no global figure state or GUI backend is touched.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib
from matplotlib.figure import Figure

# One colour per series, in order (matplotlib's default cycle, colour-blind friendly enough).
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
OVER = "#d62728"
UNDER = "#7f7f7f"
_WIDTH = 4.6  # inches; three charts fit side by side on a laptop screen


def _svg(fig: Figure) -> str:
    # Text stays text (smaller files, selectable labels); a fixed salt keeps
    # element ids, and without a date the report is identical from one rendering
    # to the next.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "run-report"}):
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


# Tick labels at least this large (points): smaller ones blur on a laptop screen.
LABEL_SIZE = 8
TITLE_SIZE = 9
# Plain tick numbers: no "1e6+1.7031e10" offset or exponent above the axis.
_PLAIN_TICKS = {"axes.formatter.useoffset": False, "axes.formatter.limits": (-7, 12)}
# Below this many characters tick labels stay level; longer ones are slanted.
_LEVEL_LABEL = 5
_MAX_EDGE_LABELS = 12


def _figure(height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(_WIDTH, height))
    # The axis formatters read these settings when they are created.
    with matplotlib.rc_context(_PLAIN_TICKS):
        ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=LABEL_SIZE)
    return fig, ax


def _legend_above(ax, count: int) -> None:
    # Above the plot, in one row: inside it, a legend hides the bars it names.
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncol=max(count, 1),
        fontsize=LABEL_SIZE,
        frameon=False,
        borderaxespad=0.2,
    )


def _title(ax, title: str, *, legend: bool) -> None:
    # With a legend above the plot, the title goes above the legend.
    ax.set_title(title, fontsize=TITLE_SIZE, pad=24 if legend else 6)


def histogram(
    edges: Sequence[str], series: Mapping[str, Sequence[float]], title: str, xlabel: str
) -> str:
    """Step histograms of several datasets on the same buckets, as SVG.

    `edges` labels the bucket boundaries (one more than each series' shares);
    buckets are drawn equally wide, as the quantile buckets the data gate
    compares on would otherwise be unreadable slivers and one wide tail.
    """
    fig, ax = _figure(2.4)
    positions = range(len(edges))
    drawn = 0
    for color, (name, shares) in zip(COLORS, series.items(), strict=False):
        if shares:
            ax.stairs(shares, positions, label=name, color=color, linewidth=1.4)
            drawn += 1
    step = -(-len(edges) // _MAX_EDGE_LABELS)  # ceiling: at most _MAX_EDGE_LABELS labels
    shown = list(positions)[::step]
    slanted = any(len(label) > _LEVEL_LABEL for label in edges)
    ax.set_xticks(shown)
    ax.set_xticklabels(
        [edges[i] for i in shown],
        rotation=35 if slanted else 0,
        ha="right" if slanted else "center",
        rotation_mode="anchor",
    )
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    ax.set_ylabel("share of rows with a value", fontsize=LABEL_SIZE)
    if drawn:
        _legend_above(ax, drawn)
    _title(ax, title, legend=bool(drawn))
    return _svg(fig)


TOP_VALUES_SHOWN = 8


def top_values(
    series: Mapping[str, Mapping[str, float]], title: str, limit: int = TOP_VALUES_SHOWN
) -> str:
    """Grouped horizontal bars: the share of each of the most frequent values, as SVG."""
    first = next(iter(series.values()), {})
    values = list(first)[:limit]
    fig, ax = _figure(0.45 + 0.28 * max(len(values), 1) * max(len(series), 1) ** 0.5)
    height = 0.8 / max(len(series), 1)
    for i, (color, (name, shares)) in enumerate(zip(COLORS, series.items(), strict=False)):
        ys = [row + i * height for row in range(len(values))]
        ax.barh(ys, [shares.get(v, 0.0) for v in values], height=height, label=name, color=color)
    ax.set_yticks([row + 0.4 - height / 2 for row in range(len(values))])
    ax.set_yticklabels([_short(v) for v in values])
    ax.invert_yaxis()
    ax.set_xlabel("share of rows", fontsize=LABEL_SIZE)
    _legend_above(ax, len(series))
    _title(ax, title, legend=True)
    return _svg(fig)


def measurements(rows: Sequence[tuple[str, float, float]], title: str) -> str:
    """One bar per (label, value, threshold); bars over their threshold in red, as SVG."""
    fig, ax = _figure(0.5 + 0.2 * max(len(rows), 1))
    labels = [label for label, _, _ in rows]
    values = [value for _, value, _ in rows]
    colors = [OVER if value > bar else UNDER for _, value, bar in rows]
    ax.barh(range(len(rows)), values, color=colors, height=0.7)
    ax.scatter([bar for _, _, bar in rows], range(len(rows)), marker="|", s=120, color="black")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([_short(label) for label in labels])
    ax.invert_yaxis()
    _title(ax, title, legend=False)
    ax.set_xlabel("measured (| = threshold)", fontsize=LABEL_SIZE)
    return _svg(fig)


def slice_metric(
    rows: Sequence[tuple[str, float]],
    overall: float | None,
    title: str,
    xlabel: str = "",
    bounds: Sequence[tuple[float, float] | None] = (),
) -> str:
    """One bar per slice value, with the overall value as a dashed line, as SVG; with
    `bounds` (one per row, None where unknown), each bar's 95% interval as an error bar."""
    fig, ax = _figure(0.6 + 0.2 * max(len(rows), 1))
    values = [value for _, value in rows]
    xerr = None
    if any(b is not None for b in bounds):
        spans = [
            (v - b[0], b[1] - v) if b else (0.0, 0.0) for v, b in zip(values, bounds, strict=True)
        ]
        xerr = [[max(low, 0.0) for low, _ in spans], [max(high, 0.0) for _, high in spans]]
    ax.barh(
        range(len(rows)),
        values,
        color=COLORS[0],
        height=0.7,
        xerr=xerr,
        error_kw={"ecolor": "black", "elinewidth": 1, "capsize": 2},
    )
    if overall is not None:
        ax.axvline(overall, color="black", linestyle="--", linewidth=1, label="overall")
        _legend_above(ax, 1)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([_short(label) for label, _ in rows])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    _title(ax, title, legend=overall is not None)
    return _svg(fig)


def _short(label: str, size: int = 28) -> str:
    label = str(label)
    return label if len(label) <= size else label[: size - 1] + "…"


def importances(rows: Sequence[tuple[str, float, float]], title: str) -> str:
    """One bar per (feature, importance, spread), most important on top, as SVG."""
    fig, ax = _figure(0.5 + 0.2 * max(len(rows), 1))
    values = [value for _, value, _ in rows]
    ax.barh(
        range(len(rows)),
        values,
        xerr=[spread for _, _, spread in rows],
        color=[COLORS[0] if value >= 0 else UNDER for value in values],
        height=0.7,
        error_kw={"elinewidth": 0.8, "capsize": 2},
    )
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([_short(label) for label, _, _ in rows])
    ax.invert_yaxis()
    _title(ax, title, legend=False)
    ax.set_xlabel("how much worse the score gets when shuffled (bar: spread)", fontsize=LABEL_SIZE)
    return _svg(fig)


def curves(
    series: Mapping[str, Sequence[Sequence[float]]],
    title: str,
    xlabel: str,
    ylabel: str,
    reference: Sequence[Sequence[float]],
    reference_label: str,
    markers: bool,
) -> str:
    """One line per model on the unit square, each (xs, ys), with a dashed `reference`
    line ((x0, x1), (y0, y1): chance, or perfect calibration), as SVG. `markers` marks
    each point (a calibration plot's buckets)."""
    fig, ax = _figure(3.0)
    for color, (name, (xs, ys)) in zip(COLORS, series.items(), strict=False):
        ax.plot(
            xs,
            ys,
            color=color,
            linewidth=1.4,
            label=name,
            marker="o" if markers else None,
            markersize=3,
        )
    ax.plot(*reference, color=UNDER, linestyle="--", linewidth=1, label=reference_label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel, fontsize=LABEL_SIZE)
    ax.set_ylabel(ylabel, fontsize=LABEL_SIZE)
    _legend_above(ax, len(series) + 1)
    _title(ax, title, legend=True)
    return _svg(fig)
