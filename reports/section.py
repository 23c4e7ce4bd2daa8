"""`Section`: one part of a report, shown by a notebook and by the HTML page alike.

A section keeps its data (`tables`, pandas DataFrames a person or a test can
use) and renders itself to HTML with inline CSS and charts as inline SVG
images, so it displays in JupyterLab, a notebook viewer or a browser with no
network.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import math
from collections.abc import Collection

import pandas as pd

# Scoped to .run-report so a notebook's own styles are left alone.
CSS = """
.run-report { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 13px;
  color: #1b1b1b; line-height: 1.4; }
.run-report h2 { font-size: 18px; margin: 18px 0 6px; border-bottom: 1px solid #ddd; }
.run-report h3 { font-size: 14px; margin: 14px 0 4px; }
.run-report table { border-collapse: collapse; margin: 4px 0 10px; font-size: 12px; }
.run-report th, .run-report td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; }
.run-report th { background: #f4f4f4; }
.run-report td:first-child, .run-report th:first-child { text-align: left; }
.run-report .note { color: #555; margin: 4px 0; }
.run-report .missing { color: #8a5a00; background: #fff6e0; padding: 6px 8px;
  border-left: 3px solid #e0a000; margin: 6px 0; }
.run-report .bad { color: #b00020; font-weight: 600; }
.run-report .caveat { color: #5c3c00; background: #fff6e0; padding: 4px 8px; margin: 4px 0;
  border-left: 3px solid #e0a000; }
.run-report .good { color: #1b7f3b; font-weight: 600; }
.run-report .charts { display: flex; flex-wrap: wrap; gap: 8px; }
.run-report .charts img { max-width: 100%; }
.run-report tr.flagged td { background: #fdecea; }
.run-report details { margin: 4px 0 10px; }
.run-report summary { cursor: pointer; color: #555; }
.run-report { overflow-wrap: anywhere; }
/* Table cells keep their words whole: a wide table scrolls in its box instead. */
.run-report th, .run-report td { overflow-wrap: normal; }
.run-report .table-wrap { max-width: 100%; overflow-x: auto; }
/* A metric and its interval stay on one line: "0.949 (0.91–0.97)". */
.run-report table.intervals td { white-space: nowrap; }
.run-report details.section > summary { color: inherit; }
.run-report details.section > summary h2 { display: inline-block; border: 0; margin: 18px 0 6px; }
.run-report details.section { border-bottom: 1px solid #ddd; margin: 0; }
.run-report .verdict { border-left: 8px solid; padding: 8px 14px; margin: 8px 0; }
.run-report .verdict .title { font-size: 20px; font-weight: 700; margin: 0 0 4px; }
.run-report .verdict p { margin: 2px 0; }
.run-report .verdict ul { margin: 4px 0; padding-left: 20px; }
.run-report .verdict-good { background: #e8f5ec; border-color: #1b7f3b; color: #0f4d24; }
.run-report .verdict-bad { background: #fdecea; border-color: #b00020; color: #6d0014; }
.run-report .verdict-unfinished { background: #fff6e0; border-color: #e0a000; color: #5c3c00; }
.run-report code { background: rgba(0, 0, 0, 0.06); padding: 0 3px; }
"""


@dataclasses.dataclass
class Section:
    """A titled report section: data in `tables`, and HTML from `_repr_html_`."""

    title: str
    anchor: str
    tables: dict[str, pd.DataFrame] = dataclasses.field(default_factory=dict)
    missing: list[str] = dataclasses.field(default_factory=list)
    _parts: list[str] = dataclasses.field(default_factory=list, repr=False)

    def heading(self, text: str) -> None:
        """A sub-heading."""
        self._parts.append(f"<h3>{html.escape(text)}</h3>")

    def note(self, text: str, css_class: str = "note") -> None:
        """A line of plain text (escaped)."""
        self._parts.append(f'<p class="{css_class}">{html.escape(text)}</p>')

    def not_produced(self, reason: str) -> None:
        """Say that part of the run is missing, instead of showing it."""
        self.missing.append(reason)
        self._parts.append(f'<p class="missing">{html.escape(reason)}</p>')

    def table(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        index: bool = False,
        na_rep: str = "",
        shown: pd.DataFrame | None = None,
        flagged: Collection[int] = (),
        css_class: str = "",
    ) -> None:
        """Keep `frame` as `tables[name]` and show it, or `shown` (the same rows written
        for reading) if given; empty cells read `na_rep`, rows at the positions in
        `flagged` are highlighted; `css_class` is the table's (e.g. "intervals")."""
        self.tables[name] = frame
        shown = frame if shown is None else shown
        self._parts.append(
            _table_html(shown, index=index, na_rep=na_rep, flagged=flagged, css_class=css_class)
        )

    def collapsed_table(
        self,
        name: str,
        frame: pd.DataFrame,
        summary: str,
        *,
        na_rep: str = "",
        shown: pd.DataFrame | None = None,
        css_class: str = "",
    ) -> None:
        """Keep `frame` as `tables[name]` and show it (or `shown`, as `table` does) folded
        under `summary` (a <details> element: it opens with a click, and with no script)."""
        self.tables[name] = frame
        shown = frame if shown is None else shown
        table = _table_html(shown, index=False, na_rep=na_rep, css_class=css_class)
        self._parts.append(f"<details><summary>{html.escape(summary)}</summary>{table}</details>")

    def block(self, fragment: str) -> None:
        """An HTML fragment the caller built, every text in it already escaped."""
        self._parts.append(fragment)

    def charts(self, svgs: list[str]) -> None:
        """Show SVG charts side by side, each as an inline data: image."""
        images = "".join(
            f'<img alt="chart" src="data:image/svg+xml;base64,'
            f'{base64.b64encode(svg.encode()).decode()}">'
            for svg in svgs
        )
        self._parts.append(f'<div class="charts">{images}</div>')

    def body_html(self) -> str:
        """The section as an HTML fragment, without the stylesheet: folded under its
        title with a click, open at first (a <details> element needs no script)."""
        title = f'<summary><h2 id="{self.anchor}">{html.escape(self.title)}</h2></summary>'
        return (
            f'<section class="run-report"><details class="section" open>{title}'
            f"{''.join(self._parts)}</details></section>"
        )

    def _repr_html_(self) -> str:
        return f"<style>{CSS}</style>{self.body_html()}"

    def __repr__(self) -> str:
        missing = f", missing={self.missing!r}" if self.missing else ""
        return f"Section({self.title!r}, tables={list(self.tables)!r}{missing})"


def _table_html(
    frame: pd.DataFrame,
    *,
    index: bool,
    na_rep: str,
    flagged: Collection[int] = (),
    css_class: str = "",
) -> str:
    # Integers too (row counts): one number format across every table.
    def number(value) -> str:
        return na_rep if value is None or pd.isna(value) else format_number(value)

    formatters = {
        column: yes_no if pd.api.types.is_bool_dtype(frame[column]) else number
        for column in frame.columns
        if pd.api.types.is_numeric_dtype(frame[column])
    }
    table = frame.to_html(
        index=index,
        escape=True,
        border=0,
        na_rep=na_rep,
        formatters=formatters,
        classes=css_class or None,
    )
    table = _flag_rows(table, set(flagged)) if flagged else table
    # A wide table scrolls inside its box; the page itself never gets wider than the window.
    return f'<div class="table-wrap">{table}</div>'


def _flag_rows(table: str, flagged: set[int]) -> str:
    """`table` (pandas HTML) with the body rows at `flagged` positions in class "flagged"."""
    head, body = table.split("<tbody>", 1)
    rows = body.split("<tr>")
    marked = [
        ('<tr class="flagged">' if i - 1 in flagged else "<tr>") + row if i else row
        for i, row in enumerate(rows)
    ]
    return head + "<tbody>" + "".join(marked)


def yes_no(value) -> str:
    """A flag in a table: "yes" or "no", not Python's True and False."""
    return "yes" if value else "no"


def format_number(value: float) -> str:
    """Whole numbers with thousands separators, others with up to 4 significant digits."""
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    if not math.isfinite(value):
        return "" if math.isnan(value) else str(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.4g}" if abs(value) >= 1e-3 else f"{value:.3g}"
