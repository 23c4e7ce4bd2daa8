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

Bucket = tuple[float, float, float]  # (low, high, share of rows)


def _svg(fig: Figure) -> str:
    # Text stays text (smaller files, selectable labels); a fixed salt keeps
    # element ids, and without a date the report is identical from one rendering
    # to the next.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "run-report"}):
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def _figure(height: float) -> tuple[Figure, object]:
    fig = Figure(figsize=(_WIDTH, height))
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=7)
    return fig, ax


def histogram(series: Mapping[str, Sequence[Bucket]], title: str) -> str:
    """Step histograms of several datasets (e.g. splits) on one axis, as SVG."""
    fig, ax = _figure(2.2)
    for color, (name, buckets) in zip(COLORS, series.items(), strict=False):
        if not buckets:
            continue
        edges = [buckets[0][0]] + [high for _, high, _ in buckets]
        shares = [share for _, _, share in buckets]
        ax.stairs(shares, edges, label=name, color=color, linewidth=1.4)
    upper = max((_upper(buckets) for buckets in series.values() if buckets), default=None)
    if upper is not None:
        ax.set_xlim(right=upper)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel("share of rows", fontsize=7)
    ax.legend(fontsize=7, frameon=False)
    return _svg(fig)


def _upper(buckets: Sequence[Bucket], share: float = 0.995) -> float:
    """Right end of the buckets that hold `share` of the rows: a few long trips
    would otherwise squeeze everyone else into the first bar."""
    total = sum(s for _, _, s in buckets) or 1.0
    seen = 0.0
    for _, high, s in buckets:
        seen += s
        if seen >= share * total:
            return high
    return buckets[-1][1]


def top_values(series: Mapping[str, Mapping[str, float]], title: str, limit: int = 8) -> str:
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
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("share of rows", fontsize=7)
    ax.legend(fontsize=7, frameon=False)
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
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("measured (| = threshold)", fontsize=7)
    return _svg(fig)


def slice_metric(rows: Sequence[tuple[str, float]], overall: float | None, title: str) -> str:
    """One bar per slice value, with the overall value as a dashed line, as SVG."""
    fig, ax = _figure(0.5 + 0.18 * max(len(rows), 1))
    ax.barh(range(len(rows)), [value for _, value in rows], color=COLORS[0], height=0.7)
    if overall is not None:
        ax.axvline(overall, color="black", linestyle="--", linewidth=1, label="overall")
        ax.legend(fontsize=7, frameon=False)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([_short(label) for label, _ in rows])
    ax.invert_yaxis()
    ax.set_title(title, fontsize=9)
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
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("how much worse the score gets when shuffled (bar: spread)", fontsize=7)
    return _svg(fig)
