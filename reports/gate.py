"""The data gate's decision: why a run was stopped before training, or what it accepted."""

from __future__ import annotations

import pandas as pd

from pipeline import steps
from pipeline.components.data_gate.decision import GateOutcome, remedies
from pipeline.components.data_gate.spec import RESULT_KEY
from pipeline.metadata.run import Run
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
        section.heading("Skew and drift measurements the gate judged")
        section.table("measurements", measurements_table(outcome))
    return section
