"""Tuner and attributions in the real pipeline, on data where one feature decides the label.

3,000 taxi trips whose tip is rewritten so that a trip is a big tipper
exactly when it starts on days 1-3 of the week: `trip_start_day` decides the
label and payment type (which decides it in the real data) no longer does.
The run tunes with a 2-trial budget, trains with the best trial, explains
the model and pushes it with its model card.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import ml_metadata as mlmd
import pytest
import taxi_facts
from tfx import v1 as tfx
from tfx.utils import path_utils

from models import attributions
from models.hparams import read_hparams
from models.model import HParams
from models.tuning import hparams_from_tuner
from pipeline import steps as P
from pipeline.components.pusher import model_card
from pipeline.config import EvalThresholds, Provenance, TuningConfig
from pipeline.metadata.run import open_run
from pipeline.metadata.summary import summarize_latest_run
from pipeline.runners.local import run_pipeline

pytestmark = pytest.mark.e2e

ROWS = 3000
DECISIVE = "trip_start_day"
BIG_TIP_DAYS = {"1", "2", "3"}
TRIALS = 2


def _decided_by_the_day(row: dict[str, str]) -> dict[str, str]:
    fare = float(row["fare"] or 0)
    # Half the fare plus a cent: above 20% even for a zero fare.
    tips = fare * 0.5 + 0.01 if row[DECISIVE] in BIG_TIP_DAYS else 0.0
    return {**row, "tips": f"{tips:.2f}"}


@dataclasses.dataclass(frozen=True)
class TunedRun:
    config: object
    seconds: float
    tuner_seconds: float
    attribution_seconds: float


@pytest.fixture(scope="module")
def tuned_run(tmp_path_factory, sample_rows, csv_writer, small_config) -> TunedRun:
    root = tmp_path_factory.mktemp("decisive")
    data = root / "data"
    csv_writer(data / "trips.csv", [_decided_by_the_day(r) for r in sample_rows[:ROWS]])
    config = small_config(
        root,
        data,
        "taxi-decisive",
        train_steps=300,
        # This test is about what the model relies on, not about the blessing bar.
        thresholds=EvalThresholds(min_auc=0.5, min_accuracy=0.5),
        tuning=TuningConfig(enabled=True, max_trials=TRIALS, steps_per_trial=200),
    )
    started = time.monotonic()
    run_pipeline(config)
    seconds = time.monotonic() - started
    run = open_run(config.pipeline_root)
    return TunedRun(
        config=config,
        seconds=seconds,
        tuner_seconds=run.steps[P.TUNER].seconds,
        attribution_seconds=run.steps[P.ATTRIBUTIONS].seconds,
    )


def _store(config) -> mlmd.MetadataStore:
    return mlmd.MetadataStore(
        tfx.orchestration.metadata.sqlite_metadata_connection_config(config.metadata_path)
    )


def _version(config) -> Path:
    (version,) = Path(config.push_base_directory).iterdir()
    return version


def test_the_trainer_trains_with_the_tuners_best_hyperparameters(tuned_run):
    import tf_keras as keras

    print(f"\nTuner with {TRIALS} trials: {tuned_run.tuner_seconds:.1f} s")
    run = open_run(tuned_run.config.pipeline_root)
    best = run.output(P.TUNER, "best_hyperparameters")
    # Through ML Metadata: the Trainer's input is the Tuner's output of this run.
    assert run.inputs[(P.TRAINER, "hyperparameters")].id == best.id
    with open(os.path.join(best.uri, "best_hyperparameters.txt")) as f:
        expected = hparams_from_tuner(json.load(f), HParams())
    model_dir = path_utils.serving_model_path(run.output(P.TRAINER, "model").uri)
    recorded = read_hparams(model_dir)
    assert recorded["source"] == "tuner"
    assert tuple(recorded["hidden_units"]) == expected.hidden_units
    assert recorded["learning_rate"] == pytest.approx(expected.learning_rate)
    assert recorded["dropout"] == pytest.approx(expected.dropout)
    # The network itself, loaded back from the SavedModel.
    model = keras.models.load_model(model_dir, compile=False)
    units = [layer.units for layer in model.layers if layer.name.startswith("dense_")]
    assert tuple(units) == expected.hidden_units
    embedding_dims = [
        layer.output_dim for layer in model.layers if layer.name.endswith("_embedding")
    ]
    assert max(embedding_dims) <= expected.max_embedding_dim


def test_the_search_is_recorded_and_reported(tuned_run):
    run = open_run(tuned_run.config.pipeline_root)
    with open(os.path.join(run.output(P.TUNER, "tuner_results").uri, "tuner_results.json")) as f:
        trials = json.load(f)
    assert len(trials) == TRIALS
    assert trials[0]["score"] <= trials[1]["score"], "best (lowest log loss) first"
    summary = summarize_latest_run(tuned_run.config)
    assert summary.tuner_trials == trials
    from reports import tuning

    section = tuning.report(run)
    assert list(section.tables["trials"]["score"]) == [t["score"] for t in trials]
    card = model_card.read_card(str(_version(tuned_run.config)))
    assert card["hyperparameters"]["source"] == "tuner"
    assert [t["score"] for t in card["hyperparameters"]["trials"]] == [t["score"] for t in trials]


def test_attributions_rank_the_deciding_feature_first(tuned_run):
    print(f"\nAttributions (component): {tuned_run.attribution_seconds:.1f} s")
    run = open_run(tuned_run.config.pipeline_root)
    from pipeline.components.attributions.artifacts import load_result

    result = load_result(run.output(P.ATTRIBUTIONS, "attributions"))
    ranking = result.ranking()
    assert ranking[0] == DECISIVE, ranking
    assert set(ranking) == set(taxi_facts.model_features())
    top, second = result.features[0], result.features[1]
    assert top.importance > 0.2 and top.importance > 5 * max(second.importance, 0.01)
    # The pushed version carries them, and its card lists the decisive feature first.
    version = _version(tuned_run.config)
    card = model_card.read_card(str(version))
    assert card["attributions"]["top"][0]["feature"] == DECISIVE
    assert f"| {DECISIVE} |" in (version / "assets.extra" / "model_card.md").read_text()


def test_one_prediction_is_explained_by_the_deciding_feature(tuned_run, sample_rows):
    from models.attributions import background_of

    version = _version(tuned_run.config)
    model = attributions.load_model(str(version))
    background = background_of(str(version))
    row = next(r for r in sample_rows[ROWS:] if r[DECISIVE] == "2")
    instance = {name: row[name] for name in taxi_facts.model_features() if row[name] != ""}
    found = attributions.explain(model, instance, background)
    probability, contributions = found.prediction, found.attributions
    assert probability > 0.5, "a day-2 trip is a big tipper in this data"
    ranked = sorted(contributions, key=lambda name: -abs(contributions[name]))
    assert ranked[0] == DECISIVE, contributions
    assert contributions[DECISIVE] > 0


def test_a_rerun_that_only_changes_the_recorded_commit_pushes_nothing_new(tuned_run):
    config = tuned_run.config
    first = _version(config)
    before = sorted(os.listdir(config.push_base_directory))
    again = dataclasses.replace(
        config, provenance=Provenance(git_commit="0" * 40, data_files=config.provenance.data_files)
    )
    run_pipeline(again)
    summary = summarize_latest_run(again)
    assert summary.executions[P.TRAINER] == "cached"
    assert summary.executions[P.PUSHER] == "executed"
    assert summary.pushed_version is None
    assert summary.already_pushed_version == first.name
    assert sorted(os.listdir(config.push_base_directory)) == before
