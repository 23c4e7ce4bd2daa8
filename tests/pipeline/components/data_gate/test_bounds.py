"""Impossible values are blocked on a first run: bounds in the curated schema, and the
dataset's timestamps not in the future.

Statistics and anomalies come from TFDV itself, on taxi sample rows written to
CSV and validated against the bundled taxi schema, as StatisticsGen and
ExampleValidator compute them.
"""

from __future__ import annotations

import datetime

import pytest
import taxi_facts
import tensorflow_data_validation as tfdv

from pipeline.components.data_gate import executor as gate_component
from pipeline.components.data_gate.decision import FUTURE_TIME
from pipeline.config import GateConfig
from schemas import load_schema

ROWS = 1500
YEAR_2200 = int(datetime.datetime(2200, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
# When these tests pretend the run starts: the sample's last trip is in 2016.
NOW = datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc).timestamp()


def _outcome(tmp_path, rows, csv_writer):
    """The gate's decision on `rows` as one train split, with no earlier data."""
    path = csv_writer(tmp_path / "data.csv", rows)
    schema = load_schema()
    options = tfdv.StatsOptions(schema=schema, infer_type_from_schema=True)
    stats = tfdv.generate_statistics_from_csv(str(path), stats_options=options)
    anomalies = tfdv.validate_statistics(stats, schema, environment="TRAINING")
    config = GateConfig.for_dataset(taxi_facts.spec())
    return gate_component.evaluate({"train": stats}, {"train": anomalies}, schema, "", config, NOW)


def _with(rows, every: int, **values):
    return [{**r, **values} if i % every == 0 else r for i, r in enumerate(rows)]


def test_the_sample_is_inside_every_bound(tmp_path, sample_rows, csv_writer):
    assert _outcome(tmp_path, sample_rows, csv_writer).passed


@pytest.mark.parametrize(
    ("column", "value", "kind"),
    [
        ("fare", "1e308", "FLOAT_TYPE_BIG_FLOAT"),
        ("trip_miles", "1e308", "FLOAT_TYPE_BIG_FLOAT"),
        ("tips", "-5", "FLOAT_TYPE_SMALL_FLOAT"),
        ("trip_seconds", str(10 * 24 * 3600), "INT_TYPE_BIG_INT"),
        ("trip_start_timestamp", "-86400", "INT_TYPE_SMALL_INT"),
    ],
)
def test_a_value_outside_the_schemas_bounds_blocks_a_first_run(
    tmp_path, sample_rows, csv_writer, column, value, kind
):
    outcome = _outcome(tmp_path, _with(sample_rows[:ROWS], 100, **{column: value}), csv_writer)
    assert not outcome.passed
    assert column in outcome.out_of_bounds
    [finding] = [f for f in outcome.blocking if f.feature == column]
    assert kind in finding.kind.split(",")


def test_timestamps_in_the_future_block_a_first_run(tmp_path, sample_rows, csv_writer):
    rows = _with(sample_rows[:ROWS], 10, trip_start_timestamp=str(YEAR_2200))
    outcome = _outcome(tmp_path, rows, csv_writer)
    assert outcome.out_of_bounds == ("trip_start_timestamp",)
    [finding] = outcome.blocking
    assert (finding.check, finding.kind) == ("bounds", FUTURE_TIME)
    assert "2200-01-01 00:00 UTC" in finding.description
    assert "seconds since 1970" in finding.description


def test_the_future_check_allows_its_margin(tmp_path, sample_rows, csv_writer):
    tomorrow = str(int(NOW) + 24 * 3600)
    rows = _with(sample_rows[:ROWS], 10, trip_start_timestamp=tomorrow)
    assert _outcome(tmp_path, rows, csv_writer).passed, "within the 2-day margin"


def test_an_accepted_feature_is_not_blocked_but_still_reported(tmp_path, sample_rows, csv_writer):
    path = csv_writer(tmp_path / "data.csv", _with(sample_rows[:ROWS], 100, fare="1e308"))
    schema = load_schema()
    options = tfdv.StatsOptions(schema=schema, infer_type_from_schema=True)
    stats = tfdv.generate_statistics_from_csv(str(path), stats_options=options)
    anomalies = tfdv.validate_statistics(stats, schema, environment="TRAINING")
    config = GateConfig.for_dataset(taxi_facts.spec(), allow=("fare",))
    outcome = gate_component.evaluate({"train": stats}, {"train": anomalies}, schema, "", config)
    assert outcome.passed and [f.feature for f in outcome.findings] == ["fare"]
