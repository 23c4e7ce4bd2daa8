"""`python -m pipeline monitor`'s refusals (exit 2) and a version it cannot trace: reported
unchecked in the terminal and the JSON, never judged."""

from __future__ import annotations

import json

import numpy as np
import tensorflow as tf

from pipeline.cli import main
from pipeline.monitoring.logs import model_folder
from serving import prediction_log


def _monitor(tmp_path, *flags: str) -> int:
    return main(
        ["monitor", "--pipeline-root", str(tmp_path / "no-pipeline"),
         "--serving-dir", str(tmp_path / "no-serving"), *flags]
    )  # fmt: skip


def test_an_unknown_model_is_exit_2(tmp_path, capsys):
    (tmp_path / "logs").mkdir()
    assert _monitor(tmp_path, "--model", "nope", "--logs", str(tmp_path / "logs")) == 2
    assert "Unknown model 'nope'" in capsys.readouterr().err


def test_a_bad_since_is_exit_2(tmp_path, capsys):
    (tmp_path / "logs").mkdir()
    assert _monitor(tmp_path, "--logs", str(tmp_path / "logs"), "--since", "last week") == 2
    assert "--since 'last week'" in capsys.readouterr().err


def test_a_missing_logs_folder_is_exit_2(tmp_path, capsys):
    assert _monitor(tmp_path, "--logs", str(tmp_path / "absent")) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_logs_of_a_version_without_ml_metadata_are_reported_unchecked(tmp_path, capsys):
    logs = tmp_path / "logs"
    spec = prediction_log.requested_spec("taxi", None, None, "")
    answered = prediction_log.requested_spec("taxi", 7, None, "serving_default")
    record = prediction_log.rest_predict(
        spec, {"fare": np.array([1.0], np.float32)}, answered, {"p": np.array([0.5], np.float32)}
    ).record()
    prediction_log.fill_metadata(record, 1.0, 1_700_000_000)
    folder = model_folder(logs, "taxi") / "7"
    folder.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(folder / "requests-a-00000.tfrecord")) as writer:
        writer.write(record.SerializeToString())

    assert _monitor(tmp_path, "--model", "taxi", "--logs", str(logs)) == 0

    said = capsys.readouterr().out
    assert "Version 7: 1 requests, 1 rows" in said and "UNCHECKED" in said
    summary = json.loads((model_folder(logs, "taxi") / "monitor" / "monitor.json").read_text())
    (version,) = summary["versions"]
    assert version["unchecked"].startswith("Training statistics not found")
    assert version["skew"] == [] and version["findings"] == []
    assert (model_folder(logs, "taxi") / "monitor" / "index.html").is_file()
