"""The skill check: did the model beat the trivial predictor on the eval split?"""

from __future__ import annotations

import pandas as pd

from pipeline import steps
from pipeline.components.skill_check.artifacts import load_result
from pipeline.metadata.run import Run
from reports.section import Section

_COLUMNS = ["metric", "model", "trivial predictor", "required", "result"]


def comparisons_table(outcome) -> pd.DataFrame:
    """One row per metric: the model's, the trivial predictor's, the bar and the verdict."""
    rows = [
        {
            "metric": c.metric,
            "model": c.candidate,
            "trivial predictor": c.trivial,
            "required": ("at least " if c.higher_is_better else "at most ") + f"{c.required:.4g}",
            "result": "passed" if c.passed else "FAILED",
        }
        for c in outcome.comparisons
    ]
    return pd.DataFrame(rows, columns=_COLUMNS)


def report(run: Run) -> Section:
    """The verdict and the comparisons behind it."""
    section = Section("Skill over the trivial predictor", "skill")
    artifact = run.output(steps.SKILL_CHECK, "result")
    if artifact is None:
        section.not_produced(run.why_missing(steps.SKILL_CHECK, "result"))
        return section
    outcome = load_result(artifact)
    if outcome.passed:
        section.note(
            f"Passed: the model beats the trivial predictor by the margin {outcome.margin:g}.",
            "good",
        )
    else:
        section.note(
            "Failed: the model does not beat the trivial predictor by the margin, so it was "
            "not blessed or pushed.",
            "bad",
        )
    section.note(
        f"The trivial predictor ignores every feature and predicts {outcome.trivial_prediction} "
        "for every example. A bar like AUC >= 0.85 means nothing on unknown data; beating "
        "this predictor does."
    )
    section.table("comparisons", comparisons_table(outcome))
    return section
