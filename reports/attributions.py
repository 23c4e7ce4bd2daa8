"""Which raw features the trained model relies on: permutation importances on the eval split."""

from __future__ import annotations

import pandas as pd

from models import scoring
from pipeline import steps
from pipeline.components.attributions.artifacts import load_result
from pipeline.metadata.run import Run
from reports import chart_cache, charts
from reports.section import Section

CHART_FEATURES = 16

# What the importance is, by the score shuffling makes worse.
IMPORTANCE = {
    scoring.AUC: "AUC drop",
    scoring.ACCURACY["multiclass"]: "accuracy drop",
    scoring.RMSE: "RMSE rise",
}


def importance_column(result) -> str:
    return IMPORTANCE.get(result.score, f"{result.score} change")


def table(result) -> pd.DataFrame:
    """One row per raw feature, most important first."""
    importance = importance_column(result)
    rows = [
        {
            "feature": f.feature,
            importance: f.importance,
            "spread": f.spread,
            "mean prediction change": f.prediction_change,
        }
        for f in result.features
    ]
    return pd.DataFrame(rows, columns=["feature", importance, "spread", "mean prediction change"])


def report(run: Run) -> Section:
    """The attributions of this run's model, as a table and a chart."""
    section = Section("Attributions", "attributions")
    artifact = run.output(steps.ATTRIBUTIONS, "attributions")
    if artifact is None:
        section.not_produced(run.why_missing(steps.ATTRIBUTIONS, "attributions"))
        return section
    result = load_result(artifact)
    importance = importance_column(result)
    section.note(
        f"Permutation importance on {result.examples:,} eval examples: each raw feature is "
        f"shuffled {result.repeats} times and the model scored again; its {result.score} "
        f"({result.baseline_score:.4f} unshuffled) gets worse by the amount shown. Near zero "
        "or negative: the model does not rely on the feature. "
        "`python -m pipeline explain VERSION --example JSON` explains one prediction of a "
        "pushed version."
    )
    frame = table(result)
    section.table("attributions", frame)
    top = frame.head(CHART_FEATURES)
    section.charts(
        [
            chart_cache.draw(
                run.pipeline_root,
                charts.importances,
                list(zip(top["feature"], top[importance], top["spread"], strict=True)),
                "Feature importance (eval split)",
            )
        ]
    )
    return section
