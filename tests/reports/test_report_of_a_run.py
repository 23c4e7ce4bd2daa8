"""The report of the suite's real pipeline run says what ML Metadata and the artifacts hold.

Expected values are read back independently: the run summary
(`pipeline.metadata.summary`), the raw ML Metadata store, the curated schema, TFDV's
and TFMA's loaders; no number is written into a test.
"""

from __future__ import annotations

import ml_metadata as mlmd
import pytest
import taxi_facts
from tfx import v1 as tfx

from pipeline import steps as P
from pipeline.config import DriftThresholds
from pipeline.metadata.run import open_run
from pipeline.metadata.store import latest_run as latest_run_context
from pipeline.metadata.summary import summarize_latest_run
from reports import anomalies, drift, evaluation, html, overview, statistics
from reports import schema as schema_report

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def summary(pipeline_run):
    return summarize_latest_run(pipeline_run)


def test_the_newest_run_is_opened_with_every_step(pipeline_run, report_run):
    store = mlmd.MetadataStore(
        tfx.orchestration.metadata.sqlite_metadata_connection_config(pipeline_run.metadata_path)
    )
    assert report_run.run_id == latest_run_context(store, pipeline_run.pipeline_name).name
    assert set(report_run.steps) == set(P.planned())
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
        assert table.loc["fare", "count"] == count
        assert table.loc["fare", "missing %"] == 0
        assert table.loc["payment_type", "unique"] >= 1
    assert section._repr_html_().count("data:image/svg+xml;base64,") >= len(
        taxi_facts.model_features()
    )


def test_schema_table_lists_every_feature_of_the_curated_schema(report_run, schema):
    schema_table = schema_report.report(report_run).tables["features"]
    assert set(schema_table["Feature name"]) == {f.name for f in schema.feature}
    types = dict(zip(schema_table["Feature name"], schema_table["Type"], strict=True))
    assert types["fare"] == "FLOAT"


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
    spec = taxi_facts.spec()
    assert set(table["feature"]) == {*spec.model_features(), *spec.label_inputs()}
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
    for feature in taxi_facts.spec().slices:
        table = section.tables[f"by {feature}"]
        assert len(table) > 1, feature
    # Every eval example has exactly one payment type: in a slice large enough to judge,
    # or in one listed apart as too small.
    payment = [section.tables["by payment_type"]]
    payment += [section.tables.get("by payment_type, too small to judge", payment[0][:0])]
    assert sum(t["example_count"].sum() for t in payment) == summary.split_rows["eval"]
    assert (payment[0]["positives"] <= payment[0]["example_count"]).all()
    # Whether some slice is much worse than overall is always said, one way or the other.
    page = section._repr_html_()
    assert "Slices much worse than overall" in page or "No slice large enough" in page


def test_the_html_report_is_written_under_the_pipeline_root(pipeline_run, report_run, summary):
    path = html.write_report(pipeline_run.pipeline_root, pipeline_name=pipeline_run.pipeline_name)
    assert path == report_run.pipeline_root / "reports" / report_run.run_id / "index.html"
    page = path.read_text()
    assert report_run.run_id in page
    for split, rows in summary.split_rows.items():
        assert f"<td>{split}</td>" in page and f"{rows:,}" in page
    # One script, inline (sorting and filtering tables); nothing loaded from anywhere.
    assert page.count("<script") == 1 and "<script>" in page and ' src="http' not in page
    assert P.EVALUATOR in page


def test_fairness_shows_the_gaps_and_the_rates_per_slice_the_check_recorded(report_run, summary):
    from reports import fairness as fairness_report

    section = fairness_report.report(report_run)
    outcome = summary.fairness
    gaps = section.tables["gaps"]
    assert len(gaps) == len(outcome.gaps)
    assert int(gaps["over the limit"].sum()) == len(outcome.breaches)
    measured = {(g.feature, g.rate, g.threshold): g.gap for g in outcome.gaps}
    for row in gaps.itertuples():
        expected = measured[(row.feature, row.rate, row.threshold)]
        assert (expected is None and row.gap != row.gap) or row.gap == pytest.approx(expected)
    for feature in taxi_facts.fairness_features():
        table = section.tables[f"by {feature}"]
        # A trip without a company is in no company slice; payment_type is required.
        assert 0 < table["examples"].sum() <= summary.split_rows["eval"]
        assert {"FPR@0.5", "FNR@0.5", "in the gaps"} <= set(table.columns)
        assert table["examples"].is_monotonic_decreasing
    assert section.tables["by payment_type"]["examples"].sum() == summary.split_rows["eval"]
    for gap in outcome.breaches:
        assert gap.highest in section._repr_html_()


def test_model_selection_lists_the_hyperparameters_the_trainer_used(report_run):
    from dataclasses import asdict

    from models.model import HParams
    from reports import tuning

    section = tuning.report(report_run)
    assert "trials" not in section.tables, "the suite's run does not tune"
    used = dict(zip(*section.tables["hyperparameters"].T.values, strict=True))
    assert set(used) == set(asdict(HParams()))
    assert used["hidden_units"] == str(list(HParams().hidden_units))


def test_attributions_rank_every_raw_feature_with_a_chart(report_run, summary):
    from reports import attributions

    section = attributions.report(report_run)
    table = section.tables["attributions"]
    assert list(table["feature"]) == summary.top_features
    assert set(table["feature"]) == set(taxi_facts.model_features())
    assert table["AUC drop"].is_monotonic_decreasing
    assert section._repr_html_().count("data:image/svg+xml;base64,") == 1
