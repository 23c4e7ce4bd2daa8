"""The whole report as one self-contained HTML page: inline CSS and charts, no script.

`write_report` puts it at `<pipeline-root>/reports/<run-id>/index.html`.
"""

from __future__ import annotations

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

# The page may load nothing: no script at all, images only from data: URIs.
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title>
<style>
body {{ margin: 0 auto; max-width: 1400px; padding: 12px 20px; background: #fff; }}
nav a {{ margin-right: 12px; }}
{css}
</style>
</head>
<body class="run-report">
<h1>{title}</h1>
<nav>{nav}</nav>
{sections}
</body>
</html>
"""


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


def sections(run: Run) -> list[Section]:
    """Every section of the report of `run`, in page order."""
    built = []
    for build in SECTIONS:
        try:
            built.append(build(run))
        except Exception as e:
            built.append(_failed_section(build, e))
    return built


def render(run: Run) -> str:
    """The report of `run` as a complete HTML page."""
    parts = sections(run)
    nav = "".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in parts)
    return _PAGE.format(
        title=html.escape(f"Validation report: {run.pipeline_name}, run {run.run_id}"),
        csp=_CSP,
        css=CSS,
        nav=nav,
        sections="\n".join(s.body_html() for s in parts),
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
