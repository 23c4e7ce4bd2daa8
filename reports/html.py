"""The whole report as one self-contained HTML page: inline CSS, charts and script.

`write_report` puts it at `<pipeline-root>/reports/<run-id>/index.html`. The
verdict banner comes first, then a table of contents; every section folds
with a click (no script needed). One small inline script sorts a table by
the column whose header is clicked and filters long tables; with scripts off
the page reads the same, only without those two.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

from pipeline.metadata.run import Run, open_run
from reports import (
    anomalies,
    attributions,
    drift,
    evaluation,
    fairness,
    gate,
    overview,
    schema,
    skill,
    statistics,
    tuning,
    verdict,
)
from reports.section import CSS, Section

REPORTS_DIR = "reports"
PAGE_NAME = "index.html"

# In page order; each takes a Run and returns a Section.
SECTIONS: tuple[Callable[[Run], Section], ...] = (
    overview.report,
    statistics.report,
    schema.report,
    anomalies.report,
    gate.report,
    drift.report,
    evaluation.report,
    skill.report,
    fairness.report,
    tuning.report,
    attributions.report,
)

# Above the table of contents: what the run came to, before any detail.
BANNER: Callable[[Run], Section] = verdict.report

# A table with more rows than this gets a filter box.
FILTER_FROM_ROWS = 12

# Sorting by a clicked header (numbers as numbers, "n/a", dashes and blanks last) and a
# filter box above long tables. Plain DOM, no library, nothing fetched.
SCRIPT = """
(function () {
  function key(cell) {
    var text = cell.textContent.trim();
    var number = parseFloat(text.replace(/,/g, ""));
    // A number, maybe with its interval after it: "0.949 (0.91–0.97)" sorts as 0.949.
    var numeric = /^[-+]?[0-9.,]+(e[-+]?[0-9]+)?%?( \\(.*\\))?$/i.test(text);
    return numeric && !isNaN(number) ? number : text;
  }
  function blank(value) {
    return value === "" || value === "n/a" || value === "\u2013" || value === "\u2014";
  }
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, {numeric: true});
  }
  function sortBy(table, header, column) {
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r, s) {
      var a = key(r.cells[column]), b = key(s.cells[column]);
      // Blanks and n/a last in either direction: they are not small or large values.
      if (blank(a) || blank(b)) return blank(a) - blank(b);
      return ascending ? compare(a, b) : compare(b, a);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("thead th").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }
  function addFilter(table) {
    var box = document.createElement("input");
    box.type = "search";
    box.className = "table-filter";
    box.placeholder = "Filter " + table.tBodies[0].rows.length + " rows";
    box.setAttribute("aria-label", "Filter the rows of the table below");
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase();
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = words !== "" && row.textContent.toLowerCase().indexOf(words) < 0;
      });
    });
    table.parentNode.insertBefore(box, table);
  }
  document.querySelectorAll("table").forEach(function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    var headers = table.tHead.rows[table.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(headers, function (header, column) {
      header.classList.add("sortable");
      header.title = "Sort by this column";
      header.addEventListener("click", function () { sortBy(table, header, column); });
    });
    if (table.tBodies[0].rows.length > FILTER_FROM_ROWS) addFilter(table);
  });
})();
""".replace("FILTER_FROM_ROWS", str(FILTER_FROM_ROWS))

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title>
<style>
body {{ margin: 0 auto; max-width: 1400px; padding: 12px 20px; background: #fff; }}
h1 {{ font-size: 20px; overflow-wrap: anywhere; }}
nav.toc ol {{ margin: 4px 0 8px; padding-left: 0; list-style: none; display: flex;
  flex-wrap: wrap; gap: 4px 14px; }}
th.sortable {{ cursor: pointer; }}
th[aria-sort="ascending"]::after {{ content: " \\25B2"; }}
th[aria-sort="descending"]::after {{ content: " \\25BC"; }}
input.table-filter {{ display: block; margin: 4px 0; padding: 2px 6px; max-width: 100%; }}
@media (max-width: 600px) {{ body {{ padding: 8px; }} }}
{css}
</style>
</head>
<body class="run-report">
{banner}
<h1>{title}</h1>
<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>{toc}</ol></nav>
{sections}
<script>{script}</script>
</body>
</html>
"""


def _csp(script: str) -> str:
    """The page may load nothing: images only from data: URIs, and no script but the
    one inline, named by its hash."""
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'"
    )


def _safe(run_id: str) -> str:
    """`run_id` as one path component (TFX run ids are timestamps, kept readable)."""
    return re.sub(r"[^A-Za-z0-9._:+-]", "_", run_id)


def report_path(run: Run) -> Path:
    """Where `write_report` puts the page of `run`."""
    return run.pipeline_root / REPORTS_DIR / _safe(run.run_id) / PAGE_NAME


def _failed_section(build: Callable[[Run], Section], error: Exception) -> Section:
    # One broken section (an unreadable artifact) must not hide the others.
    logging.getLogger(__name__).exception("Report section %s failed", build.__module__)
    name = build.__module__.rsplit(".", 1)[-1]
    section = Section(name.capitalize(), name)
    section.not_produced(f"This section could not be read: {type(error).__name__}: {error}")
    return section


def _built(build: Callable[[Run], Section], run: Run) -> Section:
    try:
        return build(run)
    except Exception as e:
        return _failed_section(build, e)


def sections(run: Run) -> list[Section]:
    """Every section of the report of `run`, in page order (the banner apart)."""
    return [_built(build, run) for build in SECTIONS]


def _toc(parts: list[Section]) -> str:
    return "".join(f'<li><a href="#{s.anchor}">{html.escape(s.title)}</a></li>' for s in parts)


def render(run: Run) -> str:
    """The report of `run` as a complete HTML page."""
    banner = _built(BANNER, run)
    parts = sections(run)
    return _PAGE.format(
        title=html.escape(f"Validation report: {run.pipeline_name}, run {run.run_id}"),
        csp=_csp(SCRIPT),
        css=CSS,
        banner=banner.body_html(),
        toc=_toc([banner, *parts]),
        sections="\n".join(s.body_html() for s in parts),
        script=SCRIPT,
    )


def write_report(
    pipeline_root: str | Path | None = None,
    *,
    run_id: str | None = None,
    pipeline_name: str | None = None,
) -> Path:
    """Write the report of a run (default: the newest) and return the page's path.

    Raises `pipeline.metadata.run.NoRunError` when there is no such run.
    """
    run = open_run(pipeline_root, run_id=run_id, pipeline_name=pipeline_name)
    path = report_path(run)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a browser never shows a half-written page.
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(run), encoding="utf-8")
    os.replace(tmp, path)
    return path
