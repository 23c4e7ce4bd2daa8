"""Model selection: the Tuner's trials and the hyperparameters the Trainer trained with."""

from __future__ import annotations

import pandas as pd

from pipeline import steps
from pipeline.components.standard_outputs import tuner_trials
from pipeline.metadata.run import Run
from reports.section import Section


def trials_table(results) -> pd.DataFrame:
    """The Tuner's completed trials, best first."""
    return pd.DataFrame(tuner_trials(results))


def used_table(model_uri: str) -> tuple[str, pd.DataFrame]:
    """(where the values came from, one row per hyperparameter) of the trained model."""
    from tfx.utils import path_utils

    from models.hparams import read_hparams

    recorded = read_hparams(path_utils.serving_model_path(model_uri)) or {}
    source = recorded.pop("source", "not recorded")
    rows = [
        {"hyperparameter": k, "value": f"{v:.4g}" if isinstance(v, float) else str(v)}
        for k, v in sorted(recorded.items())
    ]
    return source, pd.DataFrame(rows, columns=["hyperparameter", "value"])


def report(run: Run) -> Section:
    """The search (when the run tuned) and what the Trainer used."""
    section = Section("Model selection", "tuning")
    results = run.output(steps.TUNER, "tuner_results")
    if results is None:
        section.note(
            "No search in this run (run_local.py --tune searches width, depth, learning rate, "
            "embedding size and dropout with the Tuner)."
        )
    else:
        trials = trials_table(results)
        section.note(
            f"The Tuner tried {len(trials)} configurations, each scored by its lowest "
            "validation log loss; the best one (first row) trained the model."
        )
        section.table("trials", trials)
    model = run.output(steps.TRAINER, "model")
    if model is None:
        section.not_produced(run.why_missing(steps.TRAINER, "model"))
        return section
    source, used = used_table(model.uri)
    section.heading(f"Hyperparameters the Trainer used ({source})")
    section.table("hyperparameters", used)
    return section
