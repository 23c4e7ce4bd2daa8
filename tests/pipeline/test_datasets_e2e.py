"""Datasets other than taxi, end to end: penguins (bundled) and a never-seen dataset per task.

Each goes through `run_local.py --dataset ...` (conftest.run_dataset): gate,
Transform, Trainer, Evaluator, skill check, fairness, attributions, model
card, report and push, under the dataset's own model name. Nothing any of
them produce may speak of taxis.
"""

from __future__ import annotations

import re

import pytest
import synthetic
import tensorflow as tf

from models import layout
from models.dataset import DatasetSpec
from pipeline import steps as P
from pipeline.components.evaluator.results import load_metrics

pytestmark = pytest.mark.e2e

TAXI_WORDS = re.compile(
    r"\b(taxis?|trips?|tips?|tipper|fares?|chicago|cash|credit card|payment)\b", re.IGNORECASE
)


def _succeeded(run) -> None:
    assert run.result.returncode == 0, run.result.stdout[-4000:] + run.result.stderr[-4000:]
    assert "Blessed: yes" in run.said, run.said
    assert f"{run.serving_dir / run.name}" in run.said


def _no_taxi_words(text: str, where: str) -> None:
    found = sorted({m.group(0).lower() for m in TAXI_WORDS.finditer(text)})
    assert not found, f"{where} speaks of {found}"


def _report_of(run) -> str:
    reports = sorted((run.pipeline_root / "reports").glob("*/index.html"))
    assert reports, f"no report under {run.pipeline_root / 'reports'}"
    return reports[-1].read_text()


# --- penguins ----------------------------------------------------------------------------------


def test_penguins_runs_end_to_end_and_pushes_under_its_own_name(penguins_run):
    _succeeded(penguins_run)
    version = penguins_run.newest_version()
    assert (version / layout.SAVED_MODEL_FILE).is_file()
    spec = DatasetSpec.read_from_model(str(version))
    assert spec.task == "multiclass"
    assert spec.class_names() == ("Adelie", "Chinstrap", "Gentoo")


def test_penguins_na_cells_are_missing_values_not_errors(penguins_run):
    assert "Data gate: passed" in penguins_run.said
    rows = penguins_run.open().output(P.EXAMPLE_GEN, "examples")
    assert rows is not None
    # The sample has 344 birds; two have no measurements at all, eleven no sex.
    summary = re.search(r"Rows: train (\d+), validation (\d+), eval (\d+)", penguins_run.said)
    assert summary and sum(int(n) for n in summary.groups()) == 344


def test_penguins_fairness_is_measured_over_island_and_sex(penguins_run):
    assert "Fairness:" in penguins_run.said
    report = _report_of(penguins_run)
    for feature in ("island", "sex"):
        assert feature in report
    assert "Skill over the trivial predictor" in report


def test_penguins_multiclass_metrics_include_each_class(penguins_run):
    evaluation = penguins_run.open().output(P.EVALUATOR, "evaluation")
    metrics = load_metrics(evaluation.uri)
    overall = metrics[metrics["slice"] == "Overall"]
    names = set(overall["metric"])
    assert {"sparse_categorical_accuracy", "sparse_categorical_crossentropy"} <= names
    for class_id in range(3):
        assert f"precision[class {class_id}]" in names
        assert f"recall[class {class_id}]" in names
    accuracy = overall[overall["metric"] == "sparse_categorical_accuracy"]["value"].max()
    assert accuracy > 0.9, "penguin species are easy to tell apart by their measurements"


def test_penguins_model_card_and_report_speak_of_penguins_only(penguins_run):
    version = penguins_run.newest_version()
    card = (version / layout.MODEL_CARD_MARKDOWN).read_text()
    assert "penguins" in card.lower() and "Adelie" in card
    _no_taxi_words(card, "the penguins model card")
    _no_taxi_words(_report_of(penguins_run), "the penguins report")


# --- a dataset the code has never seen, one per task --------------------------------------------


@pytest.mark.parametrize("task", synthetic.TASKS)
def test_a_new_dataset_runs_end_to_end_for_each_task(synthetic_runs, task):
    run = synthetic_runs[task]
    _succeeded(run)
    assert "Skill: beats the trivial predictor" in run.said
    version = run.newest_version()
    spec = DatasetSpec.read_from_model(str(version))
    assert (spec.name, spec.task) == (f"synthetic-{task}", task)
    _no_taxi_words((version / layout.MODEL_CARD_MARKDOWN).read_text(), f"{task}'s model card")
    _no_taxi_words(_report_of(run), f"{task}'s report")


@pytest.mark.parametrize("task", synthetic.TASKS)
def test_the_served_signatures_follow_the_task(synthetic_runs, task):
    version = synthetic_runs[task].newest_version()
    loaded = tf.saved_model.load(str(version))
    signatures = set(loaded.signatures)
    api, other = (layout.CLASSIFY_SIGNATURE, layout.REGRESS_SIGNATURE)[
        :: 1 if task != "regression" else -1
    ]
    assert api in signatures and other not in signatures
    serving = loaded.signatures[layout.SERVING_SIGNATURE]
    rows = synthetic.rows(task, count=8, seed=99)
    inputs = {
        name: tf.constant(
            [float(r[name]) if r[name] not in ("", "NA") else float("nan") for r in rows]
        )
        if spec.dtype.is_floating
        else tf.constant([int(r[name]) for r in rows], dtype=spec.dtype)
        if spec.dtype.is_integer
        else tf.constant([r[name] for r in rows])
        for name, spec in serving.structured_input_signature[1].items()
    }
    assert synthetic.LABEL not in inputs and synthetic.IDENTIFIER not in inputs
    outputs = {k: v.numpy() for k, v in serving(**inputs).items()}
    if task == "multiclass":
        (probabilities,) = [v for k, v in outputs.items() if k != "classes"]
        assert probabilities.shape == (8, 3)
        assert abs(probabilities.sum(axis=1) - 1).max() < 1e-4
        names = {c.decode() for c in outputs["classes"].reshape(-1)}
        assert names == set(synthetic.CLASSES["multiclass"])
    elif task == "binary":
        (probability,) = outputs.values()
        assert probability.shape == (8,) and ((probability >= 0) & (probability <= 1)).all()
    else:
        (value,) = outputs.values()
        assert value.shape == (8,)
        labels = [float(r[synthetic.LABEL]) for r in rows]
        # The label spans about 20 +- 10: predictions in its range, not a scaled copy.
        assert min(labels) - 15 < value.min() and value.max() < max(labels) + 15


def test_the_regression_model_beats_the_train_mean(synthetic_runs):
    from pipeline.components.skill_check.artifacts import load_result

    outcome = load_result(synthetic_runs["regression"].open().output(P.SKILL_CHECK, "result"))
    (rmse,) = [c for c in outcome.comparisons if c.metric == "root_mean_squared_error"]
    assert rmse.candidate < 0.7 * rmse.trivial, rmse
