"""A skewed second data span: the report lists its anomalies and its drift.

Two runs of the project pipeline stopped after its data components (real
CsvExampleGen, StatisticsGen, ImportSchemaGen and ExampleValidator, one ML
Metadata store): the taxi sample, then a copy with fares x10 and a payment
type the schema does not know.
"""

from __future__ import annotations

import pytest

from pipeline import steps as P
from pipeline.metadata.run import open_run
from reports import anomalies, drift, evaluation, html, overview, statistics, verdict

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def skewed_run(drift_runs):
    return open_run(drift_runs.config.pipeline_root, run_id=drift_runs.skewed_run_id)


def test_the_skewed_run_is_compared_with_the_first_one(drift_runs, skewed_run):
    assert skewed_run.run_id == drift_runs.skewed_run_id
    assert skewed_run.previous_run_id == drift_runs.first_run_id
    first = open_run(drift_runs.config.pipeline_root, run_id=drift_runs.first_run_id)
    assert first.previous_statistics is None


def test_the_unknown_payment_type_is_listed_as_an_anomaly(skewed_run, trip_skew):
    section = anomalies.report(skewed_run)
    for split in ("train", "eval"):
        table = section.tables[split].set_index("feature")
        assert "payment_type" in table.index, split
        assert trip_skew.new_payment_type in table.loc["payment_type", "description"]


def test_fares_and_payment_types_drift_from_the_previous_run(skewed_run):
    section = drift.report(skewed_run)
    table = section.tables["drift"].set_index("feature")
    over = set(table.index[table["result"] == "DRIFT"])
    assert over == {"fare", "payment_type"}
    assert table.loc["fare", "comparator"] == "Jensen-Shannon divergence"
    assert table.loc["payment_type", "comparator"] == "L-infinity distance"
    assert (table.loc[list(over), "value"] > table.loc[list(over), "threshold"]).all()
    assert "Over the threshold: fare, payment_type." in section._repr_html_()
    # Both spans were skewed alike across splits: train and eval agree.
    assert set(section.tables["skew"]["result"]) == {"ok"}
    # A measurement chart per comparison, and previous against this run for each drifted one.
    assert section._repr_html_().count("data:image/svg+xml;base64,") == 2 + len(over)


def test_the_skewed_statistics_show_the_new_value(skewed_run, trip_skew):
    table = statistics.report(skewed_run, with_charts=False).tables["train"].set_index("feature")
    assert trip_skew.new_payment_type in table.loc["payment_type", "top values"]


def test_a_run_stopped_before_transform_says_what_it_did_not_produce(drift_runs, skewed_run):
    steps = overview.report(skewed_run).tables["steps"].set_index("component")["state"]
    assert steps[P.EXAMPLE_VALIDATOR] == "executed"
    assert steps[P.TRANSFORM] == steps[P.EVALUATOR] == "did not run"
    assert evaluation.report(skewed_run).missing == [
        "Not produced by this run (Evaluator did not run)."
    ]
    path = html.write_report(drift_runs.config.pipeline_root)
    page = path.read_text()
    assert drift_runs.skewed_run_id in page
    assert "Evaluator did not run" in page and "Over the threshold: fare, payment_type." in page


def test_a_blocked_run_says_why_and_what_to_do_before_anything_else(skewed_run):
    import html as html_text

    from reports import gate

    banner = verdict.report(skewed_run)._repr_html_()
    assert 'data-kind="blocked"' in banner and "Blocked by the data gate" in banner
    assert "DataGate stopped the run: the data is not fit to train on." in banner
    assert html_text.escape("'payment_type' (schema;") in banner
    assert "--allow-anomalies fare,payment_type" in banner, "the remedy the terminal prints"
    page = html.render(skewed_run)
    assert page.index("Blocked by the data gate") < page.index("<table")
    assert "Blocked by the data gate" not in overview.report(skewed_run)._repr_html_()
    section = gate.report(skewed_run)._repr_html_()
    assert "--allow-anomalies fare,payment_type" in section
    assert "first accepted run" not in section
