"""The loop on the real pipeline's pushed model: serve it with request logging on, replay
rows with `python -m serving.replay`, and judge the logs with `python -m pipeline monitor`.

Clean rows of the training data: exit 0. The same rows with fares x10: exit 3, `fare`
named. Unreadable log files are skipped and named; a version the pipeline never pushed
is reported unchecked, never compared with another version's training data.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from pipeline.cli import main
from pipeline.config import MonitorConfig

pytestmark = pytest.mark.e2e

# Enough rows for the data gate to measure skew (GateConfig.min_rows_to_compare),
# spread over the whole sample rather than its first trips.
ROWS, EVERY, BATCH = 1500, 9, 10
FARE_FACTOR = 10.0


@pytest.fixture(scope="module")
def clean_rows(sample_rows) -> list[dict]:
    return sample_rows[::EVERY][:ROWS]


def _serve_and_replay(pipeline_run, server_pool, csv_path: Path, logs: Path) -> str:
    """Serve the pushed model logging every request, replay `csv_path`, stop (flushing the
    logs); the replay's output."""
    name = pipeline_run.model_name
    server = server_pool.start(
        f"--model_name={name}", f"--model_base_path={pipeline_run.push_base_directory}",
        f"--request_log_dir={logs}", model=name,
    )  # fmt: skip
    target = server.rest_url.removeprefix("http://")
    result = subprocess.run(
        [sys.executable, "-m", "serving.replay", "--csv", str(csv_path), "--target", target,
         "--model", name, "--batch", str(BATCH), "--rate", "200", "--duration", "120"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert server.process.stop() == 0, server.process.log_tail()
    assert result.returncode == 0, result.stderr
    return result.stdout


def _logs(tmp_path_factory, pipeline_run, server_pool, csv_writer, rows, name) -> Path:
    folder = tmp_path_factory.mktemp(name)
    csv_path = csv_writer(folder / "rows.csv", rows)
    said = _serve_and_replay(pipeline_run, server_pool, csv_path, folder / "logs")
    assert f"Sent {ROWS // BATCH} requests ({ROWS} rows)" in said
    return folder / "logs"


@pytest.fixture(scope="module")
def clean_logs(tmp_path_factory, pipeline_run, server_pool, csv_writer, clean_rows) -> Path:
    return _logs(tmp_path_factory, pipeline_run, server_pool, csv_writer, clean_rows, "clean")


@pytest.fixture(scope="module")
def drifted_logs(tmp_path_factory, pipeline_run, server_pool, csv_writer, clean_rows) -> Path:
    drifted = [{**r, "fare": str(float(r["fare"]) * FARE_FACTOR)} for r in clean_rows]
    return _logs(tmp_path_factory, pipeline_run, server_pool, csv_writer, drifted, "drifted")


def _monitor(pipeline_run, logs: Path, output: Path, capsys) -> tuple[int, str, dict]:
    code = main(
        ["monitor", "--model", pipeline_run.model_name, "--logs", str(logs),
         "--pipeline-root", pipeline_run.pipeline_root, "--serving-dir", pipeline_run.serving_dir,
         "--output", str(output)]
    )  # fmt: skip
    said = capsys.readouterr().out
    return code, said, json.loads((output / "monitor.json").read_text())


def _served_version(pipeline_run) -> str:
    return max(Path(pipeline_run.push_base_directory).iterdir(), key=lambda p: int(p.name)).name


def test_clean_traffic_is_fine(pipeline_run, clean_logs, tmp_path, capsys):
    code, said, summary = _monitor(pipeline_run, clean_logs, tmp_path, capsys)

    assert code == 0, said
    (version,) = summary["versions"]
    assert version["version"] == _served_version(pipeline_run)
    assert (version["requests"], version["rows"]) == (ROWS // BATCH, ROWS)
    assert version["trained_by_run"] and not version["unchecked"]
    compared = {row["feature"] for row in version["skew"]}
    assert {"fare", "trip_miles", "payment_type", "company"} <= compared
    assert version["skewed_features"] == [] and version["anomalies"] == {}
    (predictions,) = version["predictions"]
    assert predictions["served_rows"] == ROWS
    assert predictions["eval_rows"] == MonitorConfig().eval_examples
    assert predictions["distance"] < predictions["threshold"]
    assert version["findings"] == []
    page = (tmp_path / "index.html").read_text()
    assert f"Version {version['version']}" in page and "<script" not in page


def test_drifted_fares_are_skew_exit_3_naming_fare(pipeline_run, drifted_logs, tmp_path, capsys):
    code, said, summary = _monitor(pipeline_run, drifted_logs, tmp_path, capsys)

    assert code == 3, said
    (version,) = summary["versions"]
    assert version["skewed_features"] == ["fare"]
    fare = next(row for row in version["skew"] if row["feature"] == "fare")
    assert fare["over"] and fare["value"] > fare["threshold"]
    assert "skew in fare" in said
    # The page draws fare against the train split on the gate's buckets.
    assert "Over the threshold: fare." in (tmp_path / "index.html").read_text()


def _rewrite_version(source: Path, target: Path, version: int) -> None:
    """`source`'s records as if `version` had answered them."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(target)) as writer:
        for raw in tf.data.TFRecordDataset(str(source)):
            record = prediction_log_pb2.PredictionLog.FromString(raw.numpy())
            record.log_metadata.model_spec.version.value = version
            writer.write(record.SerializeToString())


def test_unreadable_files_and_unknown_versions_are_named_never_judged(
    pipeline_run, clean_logs, tmp_path, capsys
):
    logs = tmp_path / "logs"
    shutil.copytree(clean_logs, logs)
    name = pipeline_run.model_name
    served = _served_version(pipeline_run)
    (good,) = (logs / name / served).glob("*.tfrecord")
    truncated = logs / name / served / "requests-zz-00000.tfrecord"
    truncated.write_bytes(good.read_bytes()[:-100])
    _rewrite_version(good, logs / name / "999" / "requests-a-00000.tfrecord", 999)

    code, said, summary = _monitor(pipeline_run, logs, tmp_path / "out", capsys)

    assert code == 0, said
    assert [s["path"] for s in summary["files"]["skipped"]] == [str(truncated)]
    assert f"skipped {truncated}" in said
    versions = {v["version"]: v for v in summary["versions"]}
    assert versions[served]["rows"] == ROWS  # the truncated copy added nothing
    unknown = versions["999"]
    assert "never pushed" in unknown["unchecked"]
    assert unknown["skew"] == [] and unknown["predictions"] == [] and unknown["findings"] == []
    assert "UNCHECKED" in said
