"""Fairness: false positive and false negative rates per slice, and the gaps between slices."""

from __future__ import annotations

import pandas as pd

from pipeline import steps
from pipeline.components.fairness_check.artifacts import load_result
from pipeline.components.fairness_check.decision import describe
from pipeline.components.fairness_check.metrics import ERROR
from pipeline.metadata.run import Run
from reports import chart_cache, charts
from reports.section import Section

_GAP_COLUMNS = [
    "feature",
    "rate",
    "class_name",
    "threshold",
    "gap",
    "limit",
    "highest",
    "lowest",
    "slices",
]
_SHORT = {"false_positive_rate": "FPR", "false_negative_rate": "FNR", ERROR: "MAE"}


def short_name(rate: str, threshold: float | None, class_name: str = "") -> str:
    """A rate's column name: FPR@0.5, FNR[Adelie]@0.3, MAE."""
    name = _SHORT[rate] + (f"[{class_name}]" if class_name else "")
    return name if threshold is None else f"{name}@{threshold:g}"


def gaps_table(outcome) -> pd.DataFrame:
    """One row per feature, rate and threshold; breached gaps first."""
    rows = [g.as_dict() for g in outcome.gaps]
    frame = pd.DataFrame(rows, columns=[*_GAP_COLUMNS, "breached"])
    if not frame["class_name"].astype(bool).any():
        frame = frame.drop(columns="class_name")
    frame = frame.rename(columns={"breached": "over the limit", "class_name": "class"})
    return frame.sort_values("over the limit", ascending=False, kind="stable", ignore_index=True)


def rates_table(outcome, feature: str) -> pd.DataFrame:
    """Slices of `feature`: eval examples, each rate at each threshold, and whether it counts."""
    rows: dict[str, dict] = {}
    for r in outcome.rates:
        if r.feature != feature:
            continue
        row = rows.setdefault(
            r.value, {feature: r.value, "examples": r.examples, "in the gaps": False}
        )
        row[short_name(r.rate, r.threshold, r.class_name)] = r.measured
        row["in the gaps"] = row["in the gaps"] or r.counted
    frame = pd.DataFrame(list(rows.values()))
    if frame.empty:
        return frame
    return frame.sort_values("examples", ascending=False, ignore_index=True)


def _caveats(section: Section, outcome) -> None:
    # Beside the gaps: without it "gap 1.000" reads as the model's failing alone.
    lines = outcome.caveat_lines()
    if lines:
        section.note("Read the gaps with the dataset's caveats (its [fairness] caveats):")
    for line in lines:
        section.note(line, "caveat")


def report(run: Run) -> Section:
    """The FairnessCheck's verdict, its gaps (table and chart) and the rates per slice."""
    section = Section("Fairness", "fairness")
    artifact = run.output(steps.FAIRNESS_CHECK, "result")
    if artifact is None:
        section.not_produced(run.why_missing(steps.FAIRNESS_CHECK, "result"))
        return section
    outcome = load_result(artifact)
    mode = "blocking" if outcome.blocking else "reported only (not blocking)"
    if outcome.blocked:
        section.note(
            "Blocked: a gap is over its limit, so the model was not blessed or pushed.", "bad"
        )
    elif outcome.breaches:
        section.note(f"{len(outcome.breaches)} gap(s) over the limit; {mode}.", "bad")
    else:
        section.note(f"Every gap is within its limit; {mode}.", "good")
    for gap in outcome.breaches:
        section.note(describe(gap), "bad")
    _caveats(section, outcome)
    section.note(
        "The gap of a rate is its largest minus its smallest value over the slices of one "
        f"feature with at least {outcome.min_slice_examples:,} eval examples and examples of "
        "the rate's class (negatives for FPR, positives for FNR; a multi-class model's rates "
        "are of each class against the rest; MAE: the mean absolute error of a regression)."
    )
    gaps = gaps_table(outcome)
    section.table("gaps", gaps)
    measured = gaps.dropna(subset=["gap"])
    if not measured.empty:
        rows = [
            (
                f"{g.feature} {short_name(g.rate, g.threshold, g.class_name)}",
                g.gap,
                g.limit if g.limit is not None else g.gap,
            )
            for g in outcome.gaps
            if g.gap is not None
        ]
        title = "Error-rate gaps between slices"
        section.charts([chart_cache.draw(run.pipeline_root, charts.measurements, rows, title)])
    for feature in dict.fromkeys(g.feature for g in outcome.gaps):
        section.heading(f"Rates by {feature}")
        section.table(f"by {feature}", rates_table(outcome, feature))
    return section
