"""Several models at once: every dataset's model from one serving folder, one server.

Taxi (binary), penguins (multi-class) and the never-seen regression dataset
push into one folder under their own names; `python -m serving.model_config`
writes the model config file, `python -m serving --model_config_file` serves
them all; Predict, Classify and Regress answer as TF Serving's would, and
`python -m serving.predict` works for any of them, reading the signature from
the server.
"""

from __future__ import annotations

import csv
import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import synthetic
import tensorflow as tf

from models import layout
from serving.client import GrpcClient, RestClient
from serving.rows import signature_inputs, to_columns, to_instances

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def several(pipeline_run, penguins_run, synthetic_runs, shared_serving) -> dict[str, Path]:
    """Model name -> newest version, all in `shared_serving` (taxi copied in beside them)."""
    taxi_base = Path(pipeline_run.push_base_directory)
    newest = layout.version_names(taxi_base)[-1]
    shutil.copytree(taxi_base / newest, shared_serving / pipeline_run.model_name / newest)
    runs = [penguins_run, synthetic_runs["regression"]]
    models = {run.name: run.newest_version() for run in runs}
    models[pipeline_run.model_name] = shared_serving / pipeline_run.model_name / newest
    return models


@pytest.fixture(scope="module")
def config_file(several, shared_serving, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("config") / "models.config"
    result = subprocess.run(
        [sys.executable, "-m", "serving.model_config", str(shared_serving),
         "--output", str(output)],
        capture_output=True, text=True, cwd=PROJECT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return output


@pytest.fixture(scope="module")
def server(config_file, several, start_server):
    return start_server(f"--model_config_file={config_file}", model="penguins")


def test_the_config_names_every_pushed_model(config_file, several, shared_serving):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    config = text_format.Parse(config_file.read_text(), model_server_config_pb2.ModelServerConfig())
    named = {c.name: c.base_path for c in config.model_config_list.config}
    assert set(several) <= set(named)
    for name in several:
        assert named[name] == str(shared_serving.resolve() / name)


def test_one_server_serves_every_model_on_its_newest_version(server, several):
    for name, version in several.items():
        with RestClient(server.rest_url, name) as client:
            statuses = client.status()
        assert [(s.version, s.state) for s in statuses] == [(version.name, "AVAILABLE")], name


def _penguin_rows(count: int = 12) -> list[dict[str, str]]:
    import palmerpenguins

    path = Path(palmerpenguins.__file__).parent / "data" / "penguins.csv"
    with path.open(newline="") as f:
        return list(csv.DictReader(f))[:count]


def _in_process(version: Path, instances: list[dict], inputs: dict) -> dict[str, np.ndarray]:
    signature = tf.saved_model.load(str(version)).signatures[layout.SERVING_SIGNATURE]
    columns = to_columns(instances, inputs)
    return {
        k: v.numpy()
        for k, v in signature(**{n: tf.constant(c) for n, c in columns.items()}).items()
    }


def test_predict_answers_each_model_from_its_own_signature(server, several):
    for name in ("penguins", "synthetic-regression"):
        rows = (
            _penguin_rows()
            if name == "penguins"
            else synthetic.rows("regression", count=12, seed=5)
        )
        with GrpcClient(server.grpc_target, name) as client:
            inputs = signature_inputs(client.metadata())
            instances = to_instances(rows, inputs, ["NA"])
            served = client.predict(to_columns(instances, inputs)).outputs
        expected = _in_process(several[name], instances, inputs)
        assert set(served) == set(expected), name
        for key, value in expected.items():
            if value.dtype.kind in "fc":
                np.testing.assert_allclose(served[key], value, atol=1e-5, err_msg=name)
            else:
                assert (np.asarray(served[key]) == value).all(), name


def _example(row: dict[str, str], inputs: dict[str, str]) -> dict:
    """A REST Classify/Regress example: present values only, typed as the model takes them."""
    example = {}
    for name, kind in inputs.items():
        value = row.get(name)
        if value in (None, "", "NA"):
            continue
        example[name] = float(value) if kind == "float" else int(value) if kind == "int" else value
    return example


def test_classify_names_the_penguin_species(server, several):
    rows = _penguin_rows()
    with RestClient(server.rest_url, "penguins") as client:
        inputs = signature_inputs(client.metadata())
    with server.client() as http:
        answer = http.post(
            "/v1/models/penguins:classify",
            json={
                "signature_name": layout.CLASSIFY_SIGNATURE,
                "examples": [_example(r, inputs) for r in rows],
            },
        )
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert len(results) == len(rows)
    for row, classes in zip(rows, results, strict=True):
        assert [name for name, _ in classes] == ["Adelie", "Chinstrap", "Gentoo"]
        assert abs(sum(score for _, score in classes) - 1) < 1e-4
        best = max(classes, key=lambda c: c[1])[0]
        if row["bill_length_mm"] != "NA":
            assert best == row["species"], (row, classes)


def test_regress_answers_values_on_the_label_scale(server, several):
    rows = synthetic.rows("regression", count=12, seed=5)
    with RestClient(server.rest_url, "synthetic-regression") as client:
        inputs = signature_inputs(client.metadata())
        predicted = client.predict(to_instances(rows, inputs, ["NA"])).only()
    with server.client() as http:
        answer = http.post(
            "/v1/models/synthetic-regression:regress",
            json={
                "signature_name": layout.REGRESS_SIGNATURE,
                "examples": [_example(r, inputs) for r in rows],
            },
        )
    assert answer.status_code == 200, answer.text
    regressed = np.array(answer.json()["results"])
    np.testing.assert_allclose(regressed, predicted.reshape(-1), atol=1e-4)
    labels = np.array([float(r[synthetic.LABEL]) for r in rows])
    assert np.sqrt(np.mean((regressed - labels) ** 2)) < np.std(labels)


def test_classify_is_refused_for_the_regression_model(server, several):
    with server.client() as http:
        answer = http.post(
            "/v1/models/synthetic-regression:classify",
            json={"signature_name": layout.CLASSIFY_SIGNATURE, "examples": [{"size": 1.0}]},
        )
    assert answer.status_code >= 400
    assert layout.CLASSIFY_SIGNATURE in answer.json()["error"]


@pytest.mark.parametrize("model", ["penguins", "synthetic-regression", "taxi"])
def test_the_predict_command_works_for_any_served_model(server, several, tmp_path, model):
    from pipeline.defaults import sample_data_root

    if model == "penguins":
        rows = _penguin_rows(5)
    elif model == "taxi":
        with (sample_data_root() / "data.csv").open(newline="") as f:
            rows = list(itertools.islice(csv.DictReader(f), 5))
    else:
        rows = synthetic.rows("regression", count=5, seed=3)
    path = tmp_path / "rows.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = subprocess.run(
        [sys.executable, "-m", "serving.predict", str(path), "--model", model,
         "--rest", server.rest_url, "--missing-values", "NA"],
        capture_output=True, text=True, cwd=PROJECT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 + len(rows), result.stdout
    if model == "penguins":
        assert lines[0].split("\t")[:2] == ["row", "class"]
        assert {line.split("\t")[1] for line in lines[1:]} <= {"Adelie", "Chinstrap", "Gentoo"}
