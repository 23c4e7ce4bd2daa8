"""Reading request logs: finished files only, one model, --since, and unreadable files skipped
and named with the rest still read."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
import tensorflow as tf

from pipeline.monitoring.logs import model_folder, parse_since, read_logs
from serving import prediction_log

MODEL = "taxi"


def _record(model: str, version: int, x: float, at: int):
    spec = prediction_log.requested_spec(model, None, None, "")
    answered = prediction_log.requested_spec(model, version, None, "serving_default")
    array = np.array([x], dtype=np.float32)
    record = prediction_log.rest_predict(spec, {"x": array}, answered, {"y": array}).record()
    prediction_log.fill_metadata(record, 1.0, at)
    return record


def _write(path, records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for record in records:
            writer.write(record.SerializeToString())


@pytest.fixture
def logs(tmp_path):
    folder = model_folder(tmp_path, MODEL)
    first = [_record(MODEL, 1, i, 100 + i) for i in range(3)]
    _write(folder / "1" / "requests-a-00000.tfrecord", first)
    _write(folder / "2" / "requests-a-00000.tfrecord", [_record(MODEL, 2, 9, 200)])
    # Still being written: never read.
    _write(folder / "2" / "requests-b-00000.tfrecord.inprogress", [_record(MODEL, 2, 7, 300)])
    # A folder copied from another model's logs.
    _write(folder / "2" / "requests-c-00000.tfrecord", [_record("other", 2, 5, 300)])
    return tmp_path


def test_records_are_grouped_by_the_version_that_answered(logs):
    read = read_logs(logs, MODEL)
    assert {v: len(r) for v, r in read.records.items()} == {"1": 3, "2": 1}
    assert (read.files, read.other_models, read.skipped) == (3, 1, [])


def test_since_leaves_older_records_out(logs):
    read = read_logs(logs, MODEL, since=101)
    assert {v: len(r) for v, r in read.records.items()} == {"1": 2, "2": 1}
    assert read.older == 1


@pytest.mark.parametrize("damage", ["truncated", "garbage", "not a PredictionLog"])
def test_an_unreadable_file_is_skipped_named_and_the_rest_read(logs, damage):
    folder = model_folder(logs, MODEL) / "1"
    good = (folder / "requests-a-00000.tfrecord").read_bytes()
    bad = folder / "requests-z-00000.tfrecord"
    if damage == "truncated":
        bad.write_bytes(good[: len(good) - 7])
    elif damage == "garbage":
        bad.write_bytes(b"\x00\x01 this is not a tfrecord file at all " * 3)
    else:
        with tf.io.TFRecordWriter(str(bad)) as writer:
            writer.write(b"\xff\xff\xff not a proto")

    read = read_logs(logs, MODEL)

    assert [s.path for s in read.skipped] == [str(bad)]
    assert read.skipped[0].reason
    assert {v: len(r) for v, r in read.records.items()} == {"1": 3, "2": 1}


def test_no_folder_for_the_model_reads_nothing(tmp_path):
    read = read_logs(tmp_path, "unknown")
    assert (read.files, read.total) == (0, 0)


NOW = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize(
    ("text", "seconds_before_now"),
    [("2h", 7200), ("30m", 1800), ("1d", 86400), ("1.5h", 5400), ("1w", 7 * 86400),
     ("2026-01-31T11:00:00Z", 3600), ("2026-01-31T11:00", 3600),
     ("2026-01-31T12:00:00+01:00", 3600)],
)  # fmt: skip
def test_since_takes_durations_and_iso_times(text, seconds_before_now):
    assert parse_since(text, NOW) == NOW.timestamp() - seconds_before_now


@pytest.mark.parametrize("text", ["yesterday", "2h ago", "-2h", "2026-13-01", ""])
def test_a_bad_since_is_a_value_error(text):
    with pytest.raises(ValueError, match="--since"):
        parse_since(text, NOW)
