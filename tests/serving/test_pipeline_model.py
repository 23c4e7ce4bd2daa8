"""The model the pipeline pushed, served by `python -m serving`, over REST and gRPC.

Answers must equal an in-process call of the same SavedModel's
`serving_default`, through the project's clients and `python -m serving.predict`.
"""

from __future__ import annotations

import csv
import itertools
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import taxi_facts
import tensorflow as tf

from pipeline.defaults import sample_data_root
from serving.client import GrpcClient, RestClient
from serving.rows import to_columns, to_instances

pytestmark = pytest.mark.e2e

ROWS = 32


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    with (sample_data_root() / "data.csv").open(newline="") as f:
        return list(itertools.islice(csv.DictReader(f), ROWS))


@pytest.fixture(scope="module")
def taxi_server(pipeline_run, start_server):
    base = Path(pipeline_run.push_base_directory)
    return start_server(
        f"--model_name={pipeline_run.model_name}", f"--model_base_path={base}",
        model=pipeline_run.model_name,
    )  # fmt: skip


@pytest.fixture(scope="module")
def served_version(pipeline_run) -> Path:
    return max(Path(pipeline_run.push_base_directory).iterdir(), key=lambda p: int(p.name))


@pytest.fixture(scope="module")
def in_process(served_version, rows, schema) -> np.ndarray:
    signature = tf.saved_model.load(str(served_version)).signatures["serving_default"]
    columns = to_columns(to_instances(rows, taxi_facts.inputs()), taxi_facts.inputs())
    tensors = {name: tf.constant(values) for name, values in columns.items()}
    return signature(**tensors)[taxi_facts.output()].numpy()


def test_status_shows_the_pushed_version_available(taxi_server, pipeline_run, served_version):
    with RestClient(taxi_server.rest_url, pipeline_run.model_name) as client:
        (status,) = client.status()
    assert (status.version, status.state) == (served_version.name, "AVAILABLE")


def test_rest_predictions_equal_the_in_process_call(
    taxi_server, pipeline_run, rows, schema, in_process
):
    with RestClient(taxi_server.rest_url, pipeline_run.model_name) as client:
        probabilities = client.predict(to_instances(rows, taxi_facts.inputs())).only()
    assert probabilities.shape == (ROWS,)
    np.testing.assert_allclose(probabilities, in_process, atol=1e-5)


def test_grpc_predictions_equal_the_in_process_call(
    taxi_server, pipeline_run, rows, schema, in_process, served_version
):
    with GrpcClient(taxi_server.grpc_target, pipeline_run.model_name) as client:
        prediction = client.predict(
            to_columns(to_instances(rows, taxi_facts.inputs()), taxi_facts.inputs())
        )
    assert prediction.model_version == served_version.name
    assert prediction.signature_name == "serving_default"
    np.testing.assert_allclose(prediction.outputs[taxi_facts.output()], in_process, atol=1e-5)


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_predict_cli_prints_a_probability_per_row(
    taxi_server, pipeline_run, rows, in_process, tmp_path, protocol
):
    path = tmp_path / "trips.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[:5])
    where = (
        ["--rest", taxi_server.rest_url]
        if protocol == "rest"
        else ["--grpc", taxi_server.grpc_target]
    )
    result = subprocess.run(
        [sys.executable, "-m", "serving.predict", str(path), "--model", pipeline_run.model_name,
         *where],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "row\tbig_tipper_probability"
    printed = [float(line.split("\t")[1]) for line in lines[1:]]
    np.testing.assert_allclose(printed, in_process[:5], atol=1e-4)


def test_predict_cli_reports_an_unknown_model(taxi_server, rows, tmp_path):
    path = tmp_path / "trips.json"
    path.write_text('[{"fare": 10.0}]')
    result = subprocess.run(
        [sys.executable, "-m", "serving.predict", str(path), "--model", "nope",
         "--rest", taxi_server.rest_url],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Server error 404: Servable not found for request: Latest(nope)" in result.stderr
