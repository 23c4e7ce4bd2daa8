"""The monitor's offline HTML page, in the run report's style and with its honest charts.

Skewed features are drawn against the train split on the buckets the data gate
measures (reports.drift.overlays); predictions against the eval split's on the
buckets they were compared on. Inline CSS and SVG, no script, no network.
"""

from __future__ import annotations

import html

import pandas as pd

from pipeline.monitoring.check import MonitorResult, VersionCheck
from reports import charts, drift
from reports.section import CSS, Section

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title>
<style>
body {{ margin: 0 auto; max-width: 1400px; padding: 12px 20px; background: #fff; }}
{css}
</style>
</head>
<body class="run-report">
<h1>{title}</h1>
{sections}
</body>
</html>
"""


def _draw(chart, *args, **kwargs) -> str:
    return chart(*args, **kwargs)


def _files(result: MonitorResult) -> Section:
    section = Section("Request logs", "logs")
    logs = result.logs
    section.note(
        f"{logs.total} requests of {result.model} from {logs.files} files; "
        f"{logs.older} older than --since and {logs.other_models} of other models left out."
    )
    if logs.skipped:
        section.note(f"{len(logs.skipped)} unreadable file(s) skipped:", "bad")
        section.table("skipped", pd.DataFrame([(s.path, s.reason) for s in logs.skipped],
                                              columns=["file", "reason"]))  # fmt: skip
    volume = pd.DataFrame(
        [(c.version, c.requests, c.rows, c.run_id or "") for c in result.versions],
        columns=["version", "requests", "rows", "trained by run"],
    )
    section.table("volume", volume)
    return section


def _skew(section: Section, check: VersionCheck) -> None:
    frame = check.skew
    if frame is None or frame.empty:
        return
    section.heading("Skew: served inputs against the train split")
    gate = check.reference.gate
    if check.skewed:
        section.note(f"Over the threshold: {', '.join(check.skewed)}.", "bad")
    else:
        section.note(f"No feature is over its threshold ({len(frame)} compared).", "good")
    section.table("skew", frame, flagged=[i for i, r in enumerate(frame["result"]) if r != "ok"])
    rows = list(zip(frame["feature"], frame["value"], frame["threshold"], strict=True))
    compared = drift.Compared("train split", check.reference.statistics, "served",
                              check.served_statistics)  # fmt: skip
    section.charts(
        [charts.measurements(rows, "skew served/train"),
         *drift.overlays(check.skewed, compared, gate, _draw)]
    )  # fmt: skip


def _predictions(section: Section, check: VersionCheck) -> None:
    for p in check.predictions:
        section.heading(f"Predictions ({p.output}): served against the eval split")
        verdict = "bad" if p.over else "good"
        section.note(
            f"Jensen-Shannon distance {p.distance:.3f} (threshold {p.threshold}) between "
            f"{p.served_rows} served and {p.eval_rows} eval predictions of this version.",
            verdict,
        )
        series = {"eval split": p.eval, "served": p.served}
        section.charts(
            [charts.histogram(p.labels, series, p.output, f"{p.output} (shared buckets)")]
        )


def _version(check: VersionCheck) -> Section:
    section = Section(f"Version {check.version}", f"version-{check.version}")
    if check.unchecked:
        section.not_produced(check.unchecked)
        return section
    section.note(f"{check.requests} requests, {check.rows} rows; trained by run {check.run_id}.")
    for note in check.notes:
        section.note(note)
    _skew(section, check)
    section.heading("Schema anomalies in the served inputs")
    if check.anomalies:
        section.note(f"Anomalies: {', '.join(sorted(check.anomalies))}.", "bad")
        section.table("anomalies", pd.DataFrame(sorted(check.anomalies.items()),
                                                columns=["feature", "anomaly"]))  # fmt: skip
    else:
        section.note("None: the served inputs fit the schema.", "good")
    _predictions(section, check)
    return section


def render(result: MonitorResult) -> str:
    sections = [_files(result), *(_version(c) for c in result.versions)]
    return _PAGE.format(
        csp=_CSP,
        css=CSS,
        title=html.escape(f"Live traffic: {result.model}"),
        sections="\n".join(s.body_html() for s in sections),
    )
