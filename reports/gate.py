"""The data gate's decision: why a run was stopped before training, or what it accepted."""

from __future__ import annotations

import html

import pandas as pd

from pipeline import steps
from pipeline.components.data_gate.decision import GateOutcome, remedies
from pipeline.components.data_gate.spec import RESULT_KEY
from pipeline.metadata.run import Run
from reports import formatting
from reports.section import Section

_FINDING_COLUMNS = ["feature", "check", "split", "kind", "decision", "description"]
_MEASUREMENT_COLUMNS = ["check", "split", "feature", "measure", "value", "threshold", "exceeded"]


def findings_table(outcome: GateOutcome) -> pd.DataFrame:
    """One row per finding, blocking ones first."""
    rows = [
        {
            "feature": f.feature or "(whole split)",
            "check": f.check,
            "split": f.split,
            "kind": f.kind,
            "decision": "blocks" if f.blocking else "accepted",
            "description": f.description,
        }
        for f in outcome.findings
    ]
    return pd.DataFrame(rows, columns=_FINDING_COLUMNS)


def measurements_table(outcome: GateOutcome) -> pd.DataFrame:
    """Every skew and drift measurement the gate judged, largest first."""
    frame = pd.DataFrame(list(outcome.measurements), columns=_MEASUREMENT_COLUMNS)
    return frame.sort_values("value", ascending=False, ignore_index=True)


def exceeded_table(measurements: pd.DataFrame) -> pd.DataFrame:
    """The measurements over their threshold, comparators in words: what the gate judged
    on; the skew and drift section lists every measurement."""
    over = measurements[measurements["exceeded"].astype(bool)]
    shown = over.drop(columns="exceeded").rename(columns={"measure": "comparator"})
    shown["comparator"] = shown["comparator"].map(formatting.comparator)
    return shown.reset_index(drop=True)


def _show_measurements(section: Section, outcome: GateOutcome) -> None:
    # The skew and drift section shows every measurement with its charts; here only
    # what decided, so the two do not repeat each other.
    table = measurements_table(outcome)
    over = exceeded_table(table)
    link = '<a href="#drift">Skew and drift</a>'
    section.heading("Skew and drift over the threshold")
    if over.empty:
        words = f"No skew or drift measurement is over its threshold ({len(table)} judged);"
        section.block(f'<p class="good">{html.escape(words)} see {link} for each one.</p>')
        return
    words = f"{len(over)} of {len(table)} measurements over the threshold; every one is in"
    section.block(f'<p class="note">{html.escape(words)} {link}.</p>')
    section.table("measurements over the threshold", over)


def report(run: Run) -> Section:
    """The gate's verdict, its findings and the measurements behind them."""
    section = Section("Data gate", "gate")
    outcome = run.gate
    if outcome is None:
        section.not_produced(run.why_missing(steps.DATA_GATE, RESULT_KEY))
        return section
    if outcome.passed:
        section.note("Passed: the data was fit to train on.", "good")
    else:
        section.note(
            "Blocked: the run stopped before Transform and Trainer; nothing was trained or "
            "pushed (README: 'The data gate').",
            "bad",
        )
        for line in remedies(outcome):
            section.note(line, "bad")
    if outcome.compared_with:
        section.note(f"Drift measured against: {outcome.compared_with}")
    elif outcome.passed:
        section.note("No earlier accepted data to measure drift against (first accepted run).")
    else:
        section.note("Drift was not measured: no earlier data had been accepted.")
    findings = findings_table(outcome)
    if findings.empty:
        section.note("No findings.", "good")
    else:
        section.table("findings", findings)
    if outcome.measurements:
        _show_measurements(section, outcome)
    return section
