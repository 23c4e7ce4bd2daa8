"""The report of the suite's real pipeline run says what ML Metadata and the artifacts hold.

Expected values are read back independently: the run summary
(`pipeline.summary`, its own ML Metadata reader), the curated schema, TFDV's
and TFMA's loaders; no number is written into a test.
"""

from __future__ import annotations

import ml_metadata as mlmd
import pytest
from tfx import v1 as tfx

from models import features as F
from pipeline import pipeline as P
from pipeline.data_checks import DriftThresholds, compared_features
from pipeline.summary import latest_run_context, summarize_latest_run
from reports import anomalies, drift, evaluation, html, overview, statistics
from reports import schema as schema_report
from reports.artifacts import PIPELINE_STEPS, open_run

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def summary(pipeline_run):
    return summarize_latest_run(pipeline_run)


def test_the_newest_run_is_opened_with_every_step(pipeline_run, report_run):
    store = mlmd.MetadataStore(
        tfx.orchestration.metadata.sqlite_metadata_connection_config(pipeline_run.metadata_path)
    )
    assert report_run.run_id == latest_run_context(store, pipeline_run.pipeline_name).name
    assert set(report_run.steps) == set(PIPELINE_STEPS)
    states = overview.report(report_run).tables["steps"]["state"]
    assert set(states) <= {"executed", "cached"}


def test_an_older_run_can_be_opened_by_id(pipeline_run, report_run):
    again = open_run(pipeline_run.pipeline_root, run_id=report_run.run_id)
    assert again.run_id == report_run.run_id
    assert again.outputs.keys() == report_run.outputs.keys()


def test_statistics_count_the_rows_of_each_split(report_run, summary):
    section = statistics.report(report_run)
    rows = dict(zip(section.tables["rows"]["split"], section.tables["rows"]["rows"], strict=True))
    assert rows == summary.split_rows
    for split, count in summary.split_rows.items():
        table = section.tables[split].set_index("feature")
        # `fare` is required: every row has exactly one value.
        assert table.loc[F.FARE_KEY, "count"] == count
        assert table.loc[F.FARE_KEY, "missing %"] == 0
        assert table.loc["payment_type", "unique"] >= 1
    assert section._repr_html_().count("data:image/svg+xml;base64,") >= len(F.raw_model_features())


def test_schema_table_lists_every_feature_of_the_curated_schema(report_run, schema):
    schema_table = schema_report.report(report_run).tables["features"]
    assert set(schema_table["Feature name"]) == {f.name for f in schema.feature}
    types = dict(zip(schema_table["Feature name"], schema_table["Type"], strict=True))
    assert types[F.FARE_KEY] == "FLOAT"


def test_anomalies_match_the_run_summary(report_run, summary):
    section = anomalies.report(report_run)
    found = {
        split: dict(zip(table["feature"], table["description"], strict=True))
        for split, table in section.tables.items()
    }
    assert found == summary.anomalies


def test_skew_is_measured_for_every_compared_feature_with_the_thresholds(report_run):
    section = drift.report(report_run)
    table = section.tables["skew"]
    assert set(table["feature"]) == set(compared_features())
    thresholds = DriftThresholds()
    assert set(table["threshold"]) == {
        thresholds.numeric_jensen_shannon,
        thresholds.categorical_l_infinity,
    }
    assert str(thresholds.numeric_jensen_shannon) in section._repr_html_()


def test_evaluation_shows_the_metrics_blessing_and_thresholds_of_the_run(report_run, summary):
    section = evaluation.report(report_run)
    overall = section.tables["overall"].set_index("metric")
    for name in ("auc", "binary_accuracy", "example_count"):
        assert overall.loc[name, "candidate"] == pytest.approx(summary.metrics[name])
    assert overall.loc["example_count", "candidate"] == summary.split_rows["eval"]
    if summary.baseline_metrics:
        assert overall.loc["auc", "baseline"] == pytest.approx(summary.baseline_metrics["auc"])
    else:
        assert "baseline" not in overall.columns
    verdict = "Blessed: yes" if summary.blessed else "Blessed: no"
    assert verdict in section._repr_html_()
    thresholds = section.tables["thresholds"]
    assert {"auc", "binary_accuracy"} <= set(thresholds["metric"])
    assert ("FAILED" in set(thresholds["result"])) == bool(summary.failed_thresholds)
    # The candidate's bars only, each once; the change bar only when there is a baseline.
    assert not thresholds.duplicated(["metric", "slice", "required"]).any()
    changes = thresholds["required"].str.startswith("change")
    assert changes.any() == bool(summary.baseline_metrics)


def test_each_slice_feature_covers_the_whole_eval_split(report_run, summary):
    section = evaluation.report(report_run)
    for feature in F.SLICE_FEATURES:
        table = section.tables[f"by {feature}"]
        assert len(table) > 1, feature
    # Every eval example has exactly one payment type.
    payment = section.tables["by payment_type"]
    assert payment["example_count"].sum() == summary.split_rows["eval"]


def test_the_html_report_is_written_under_the_pipeline_root(pipeline_run, report_run, summary):
    path = html.write_report(pipeline_run.pipeline_root, pipeline_name=pipeline_run.pipeline_name)
    assert path == report_run.pipeline_root / "reports" / report_run.run_id / "index.html"
    page = path.read_text()
    assert report_run.run_id in page
    for split, rows in summary.split_rows.items():
        assert f"<td>{split}</td>" in page and f"{rows:,}" in page
    assert "<script" not in page
    assert P.EVALUATOR in page
