"""The model card and the lineage of the session's pushed version, against ML Metadata.

Expected values come from ML Metadata and the artifacts it points at, read
by other code than the card's (`pipeline.metadata.versions`, `.summary`, the
components' own loaders); no number is written into a test.
"""

from __future__ import annotations

import hashlib
import html
import subprocess
import sys
from pathlib import Path

import ml_metadata as mlmd
import pytest
import taxi_facts
from tfx import v1 as tfx

from models import layout
from pipeline import steps as P
from pipeline.components.pusher import model_card
from pipeline.metadata import lineage, versions
from pipeline.metadata.summary import summarize_latest_run
from pipeline.runners.provenance import git_state

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[3]
CHAIN = {
    "pushed model": P.PUSHER,
    "blessing": P.FAIRNESS_CHECK,
    "evaluation": P.EVALUATOR,
    "fairness": P.FAIRNESS_CHECK,
    "attributions": P.ATTRIBUTIONS,
    "model": P.TRAINER,
    "transform graph": P.TRANSFORM,
    "schema": P.SCHEMA_GEN,
    "examples": P.EXAMPLE_GEN,
}


@pytest.fixture(scope="module")
def pushed(pipeline_run) -> versions.PushedVersion:
    """The session run's first push (other tests may push more)."""
    return versions.pushed_versions(pipeline_run.metadata_path)[0]


@pytest.fixture(scope="module")
def card(pushed) -> dict:
    found = model_card.read_card(pushed.path)
    assert found is not None, f"no model card in {pushed.path}"
    return found


@pytest.fixture(scope="module")
def traced(pipeline_run, pushed) -> lineage.Lineage:
    return lineage.trace(pipeline_run.metadata_path, pushed.version)


def test_the_card_holds_the_evaluation_ml_metadata_holds(card, pushed, pipeline_run):
    assert card["model"]["version"] == pushed.version
    assert card["model"]["model_uri"] == pushed.model_uri
    for name in ("example_count", "auc", "binary_accuracy", "precision", "recall"):
        assert card["metrics"]["overall"][name] == pytest.approx(pushed.metrics[name]), name
    thresholds = {t["metric"]: t for t in card["metrics"]["thresholds"]}
    assert thresholds["auc"]["required"].startswith(f">= {pipeline_run.thresholds.min_auc:g}")
    assert thresholds["auc"]["result"] == "passed"
    assert set(card["metrics"]["slices"]) == {"trip_start_hour", "payment_type", "company"}
    assert card["blessing"] == {
        **card["blessing"],
        "blessed": True,
        "evaluator_blessed": True,
        "fairness_blocked": False,
    }


def test_the_card_holds_the_data_features_and_code_of_the_run(card, pushed, pipeline_run):
    summary = summarize_latest_run(pipeline_run)
    assert card["data"]["rows"] == summary.split_rows
    start, end = card["data"]["date_range"]
    assert start < end
    (data_file,) = card["data"]["files"]
    csv = Path(pipeline_run.data_root) / data_file["path"]
    assert data_file["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert card["data"]["fingerprint"] in pushed.data

    assert [f["feature"] for f in card["features"]] == list(taxi_facts.model_features())
    assert all(f["type"] and f["use"] for f in card["features"])
    assert card["lineage"]["run_id"] == pushed.run_id
    assert card["lineage"]["code_fingerprint"] == pushed.code
    assert card["lineage"]["git_commit"] == git_state(PROJECT)[0]
    assert card["hyperparameters"]["source"] == "defaults"
    assert card["hyperparameters"]["trials"] == []


def test_the_card_holds_the_fairness_and_attributions_artifacts(card, pipeline_run, pushed):
    from pipeline.components.attributions.artifacts import load_result as load_attributions
    from pipeline.components.fairness_check.artifacts import load_result as load_fairness
    from pipeline.metadata.run import open_run

    run = open_run(pipeline_run.pipeline_root, run_id=pushed.run_id)
    fairness = load_fairness(run.output(P.FAIRNESS_CHECK, "result"))
    gaps = [(g["feature"], g["rate"], g["threshold"], g["gap"]) for g in card["fairness"]["gaps"]]
    assert gaps == [(g.feature, g.rate, g.threshold, g.gap) for g in fairness.gaps]
    assert card["fairness"]["blocked"] is False
    attributions = load_attributions(run.output(P.ATTRIBUTIONS, "attributions"))
    top = [a["feature"] for a in card["attributions"]["top"]]
    assert top == attributions.ranking()[: len(top)]


def test_the_markdown_and_html_cards_show_the_same_numbers(card, pushed):
    markdown = (Path(pushed.path) / layout.MODEL_CARD_MARKDOWN).read_text()
    page = (Path(pushed.path) / layout.MODEL_CARD_HTML).read_text()
    auc = model_card.fmt(card["metrics"]["overall"]["auc"])
    assert f"| auc | {auc} |" in markdown
    assert f"<td>auc</td><td>{auc}</td>" in page
    for title in ("Owners", "Intended use", "Limits", "Ethical considerations", "Data"):
        assert f"## {title}" in markdown and f"<h2>{title}</h2>" in page
    (owner,) = card["owners"]
    assert f"| {owner['name']} | {owner['contact']} |" in markdown
    assert card["ethical_considerations"][0]["mitigation_strategy"] in markdown
    # Taxi's caveat beside its gaps, as its dataset file words it.
    (caveat,) = card["fairness"]["caveats"]
    assert caveat.startswith("payment_type: Cash tips are not recorded") and caveat in markdown
    for title in ("Features", "Metrics", "Fairness"):
        assert f"## {title}" in markdown and f"<h2>{title}</h2>" in page
    for title in ("Attributions", "Hyperparameters", "Blessing", "Lineage"):
        assert f"## {title}" in markdown and f"<h2>{title}</h2>" in page
    assert card["lineage"]["run_id"] in markdown
    assert html.escape(card["data"]["files"][0]["sha256"]) in page
    assert "<script" not in page
    # Gaps over the limit in the reporting-only mode are not "passed".
    breaches = len(card["fairness"]["breaches"])
    gaps = "gap" if breaches == 1 else "gaps"
    expected = f"reported, not blocking: {breaches} {gaps} over the limit" if breaches else "passed"
    assert f"| fairness check | {expected} |" in markdown


def test_lineage_resolves_every_link_to_an_artifact_on_disk(pipeline_run, pushed, traced):
    assert {link.name: link.producer for link in traced.links} == CHAIN
    store = mlmd.MetadataStore(
        tfx.orchestration.metadata.sqlite_metadata_connection_config(pipeline_run.metadata_path)
    )
    for link in traced.links:
        (artifact,) = store.get_artifacts_by_id([link.artifact_id])
        assert artifact.uri == link.uri and Path(link.uri).exists(), link.name
        assert link.run_id == pushed.run_id
    from pipeline.metadata.run import open_run

    run = open_run(pipeline_run.pipeline_root, run_id=pushed.run_id)
    # The same chain, read through another reader of ML Metadata.
    assert traced.link("model").artifact_id == run.inputs[(P.EVALUATOR, "model")].id
    assert (
        traced.link("transform graph").artifact_id == run.output(P.TRANSFORM, "transform_graph").id
    )
    assert traced.link("examples").artifact_id == run.output(P.EXAMPLE_GEN, "examples").id
    assert traced.link("schema").artifact_id == run.output(P.SCHEMA_GEN, "schema").id
    assert traced.metrics == pushed.metrics
    assert traced.link("model").details["hyperparameters"]["source"] == "defaults"
    assert traced.link("model").details["seed"] == pipeline_run.seed
    assert [(f.path, f.now) for f in traced.data_files] == [("data.csv", "unchanged")]
    assert traced.git_commit == git_state(PROJECT)[0] and traced.code_fingerprint == pushed.code


def _cli(pipeline_run, *args: str) -> subprocess.CompletedProcess:
    roots = ("--pipeline-root", pipeline_run.pipeline_root, "--serving-dir",
             pipeline_run.serving_dir, "--model-name", pipeline_run.model_name)  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args, *roots],
        capture_output=True, text=True, timeout=300, cwd=PROJECT,
    )  # fmt: skip


def test_the_lineage_command_prints_the_chain(pipeline_run, pushed, traced):
    result = _cli(pipeline_run, "lineage", pushed.version)
    assert result.returncode == 0, result.stderr
    for link in traced.links:
        assert f"#{link.artifact_id}" in result.stdout and link.name in result.stdout
    assert traced.data_files[0].sha256 in result.stdout
    assert "unchanged since the run" in result.stdout
    missing = _cli(pipeline_run, "lineage", "123")
    assert missing.returncode == 1
    assert "Version 123 was never pushed by this pipeline" in missing.stdout


def test_the_explain_command_explains_one_trip(pipeline_run, pushed, sample_rows):
    import json

    row = sample_rows[0]
    example = {name: row[name] for name in taxi_facts.model_features() if row[name] != ""}
    result = _cli(
        pipeline_run, "explain", pushed.version, "--example", json.dumps(example), "--json"
    )
    assert result.returncode == 0, result.stderr
    explained = json.loads(result.stdout)
    assert 0 <= explained["probability"] <= 1
    assert set(explained["attributions"]) == set(taxi_facts.model_features())
    bad = _cli(pipeline_run, "explain", pushed.version, "--example", '{"fare": "ten"}')
    assert bad.returncode == 1
    assert "Cannot explain: 'fare' must be a number, got 'ten'" in bad.stdout
