"""`python -m pipeline package sagemaker`: the archive layout SageMaker's TF Serving
container loads, the model loaded back from it, and the raw-feature handlers."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import tarfile
import types
from pathlib import Path

import numpy as np
import pytest
import taxi_facts
import tensorflow as tf

from models import features as F
from pipeline.cli import main
from pipeline.packaging import sagemaker_inference as inference
from pipeline.packaging.sagemaker import (
    PackagingError,
    feature_types,
    package_sagemaker,
    version_dir,
)


class _Doubler(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="fare")])
    def serve(self, fare):
        return {"out": fare * 2.0}


@pytest.fixture
def serving_dir(tmp_path) -> Path:
    """A push directory with two versions of a tiny SavedModel."""
    base = tmp_path / "serving" / "taxi"
    for version in ("1700000000", "1700000005"):
        module = _Doubler()
        tf.saved_model.save(
            module, str(base / version), signatures={"serving_default": module.serve}
        )
    (base / ".staging-1700000009-1").mkdir()  # an unfinished push is never packaged
    return tmp_path / "serving"


def _unpack(archive: Path, into: Path) -> list[str]:
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        tar.extractall(into, filter="data")
    return names


def test_the_archive_has_the_version_at_its_root_and_loads(serving_dir, tmp_path):
    archive = tmp_path / "model.tar.gz"
    args = ["package", "sagemaker", "--version", "latest", "--output", str(archive),
            "--serving-dir", str(serving_dir), "--no-inference-code"]  # fmt: skip
    assert main(args) == 0
    names = _unpack(archive, tmp_path / "unpacked")
    assert "1700000005/saved_model.pb" in names
    assert not any(n.startswith(("code", "1700000000", ".")) for n in names)
    model = tf.saved_model.load(str(tmp_path / "unpacked" / "1700000005"))
    out = model.signatures["serving_default"](fare=tf.constant([1.5]))["out"]
    assert out.numpy().tolist() == [3.0]


def test_inference_code_and_feature_types_are_added(serving_dir, tmp_path):
    archive = tmp_path / "model.tar.gz"
    version = version_dir(serving_dir, "taxi", "1700000000")
    package_sagemaker(version, archive, features={"fare": "float"})
    names = _unpack(archive, tmp_path / "unpacked")
    assert {"1700000000/saved_model.pb", "code/inference.py", "code/features.json"} <= set(names)
    code = tmp_path / "unpacked" / "code"
    assert json.loads((code / "features.json").read_text()) == {"fare": "float"}
    assert (code / "inference.py").read_text() == Path(inference.__file__).read_text()


def test_an_unknown_version_names_the_pushed_ones(serving_dir, tmp_path, capsys):
    args = ["package", "sagemaker", "--version", "42", "--output", str(tmp_path / "m.tar.gz"),
            "--serving-dir", str(serving_dir)]  # fmt: skip
    assert main(args) == 2
    assert "pushed versions: 1700000000, 1700000005" in capsys.readouterr().err
    with pytest.raises(PackagingError, match="a number or 'latest'"):
        version_dir(serving_dir, "taxi", "v1")
    with pytest.raises(PackagingError, match="no pushed versions"):
        version_dir(tmp_path, "taxi", "latest")


@pytest.mark.e2e
def test_feature_types_cover_the_serving_signature(pipeline_run):
    version = max(Path(pipeline_run.push_base_directory).iterdir(), key=lambda p: int(p.name))
    kinds = feature_types(version)
    assert set(kinds) == set(taxi_facts.model_features())
    assert kinds == taxi_facts.inputs()
    assert kinds["fare"] == "float" and kinds["company"] == "string"
    assert kinds["trip_start_hour"] == "int"


def _context(content_type: str):
    return types.SimpleNamespace(request_content_type=content_type, accept_header="*/*")


def _handle(body: str, content_type: str, features: dict[str, str], monkeypatch) -> dict:
    monkeypatch.setattr(inference, "load_features", lambda: features)
    sent = inference.input_handler(io.BytesIO(body.encode()), _context(content_type))
    return json.loads(sent)


def test_raw_json_and_csv_become_instances_with_missing_markers(monkeypatch):
    kinds = {"fare": "float", "company": "string", "trip_start_hour": "int"}
    from_json = _handle('[{"fare": 12.5, "trip_start_hour": "7"}]', "application/json", kinds,
                        monkeypatch)  # fmt: skip
    (row,) = from_json["instances"]
    assert row["fare"] == 12.5 and row["trip_start_hour"] == 7
    assert row["company"] == F.MISSING_STRING
    from_csv = _handle("fare,company\n,Flash Cab\n", "text/csv", kinds, monkeypatch)
    (row,) = from_csv["instances"]
    assert math.isnan(row["fare"]) and row["trip_start_hour"] == F.MISSING_INT
    assert row["company"] == "Flash Cab"


def test_tf_serving_requests_pass_through_and_errors_are_raised(monkeypatch):
    body = '{"instances": [{"fare": 1.0}]}'
    assert _handle(body, "application/json", {}, monkeypatch) == json.loads(body)
    with pytest.raises(ValueError, match="unsupported content type"):
        _handle("x", "application/x-protobuf", {}, monkeypatch)
    failed = types.SimpleNamespace(status_code=400, content=b'{"error": "bad"}')
    with pytest.raises(ValueError, match="bad"):
        inference.output_handler(failed, _context("application/json"))
    ok = types.SimpleNamespace(status_code=200, content=b'{"predictions": [0.5]}')
    assert inference.output_handler(ok, _context("application/json")) == (
        b'{"predictions": [0.5]}',
        "application/json",
    )


@pytest.mark.e2e
def test_the_pipelines_pushed_model_answers_raw_csv_from_the_archive(
    pipeline_run, sample_csv, tmp_path
):
    archive = tmp_path / "model.tar.gz"
    serving = Path(pipeline_run.serving_dir)
    args = ["package", "sagemaker", "--version", "latest", "--output", str(archive),
            "--serving-dir", str(serving), "--model-name", pipeline_run.model_name]  # fmt: skip
    assert main(args) == 0
    unpacked = tmp_path / "unpacked"
    names = _unpack(archive, unpacked)
    (version,) = {n.split("/")[0] for n in names if n.split("/")[0].isdigit()}
    assert f"{version}/saved_model.pb" in names
    assert f"{version}/assets.extra/tf_serving_warmup_requests" in names

    # What SageMaker's container does: import code/inference.py, turn the raw
    # CSV into TF Serving's JSON, and call serving_default with it.
    spec = importlib.util.spec_from_file_location("inference", unpacked / "code" / "inference.py")
    handler = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(handler)
    with sample_csv.open() as f:
        header, *rows = list(csv.reader(f))[:17]
    body = "\n".join(",".join(r) for r in [header, *rows]).encode()
    request = json.loads(handler.input_handler(io.BytesIO(body), _context("text/csv")))
    instances = request["instances"]
    assert len(instances) == 16

    serving_default = tf.saved_model.load(str(unpacked / version)).signatures["serving_default"]
    dtypes = {
        name: spec.dtype for name, spec in serving_default.structured_input_signature[1].items()
    }
    tensors = {
        name: tf.constant([row[name] for row in instances], dtype=dtype)
        for name, dtype in dtypes.items()
    }
    probabilities = serving_default(**tensors)[taxi_facts.output()].numpy()
    assert probabilities.shape == (16,)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    pushed = tf.saved_model.load(str(serving / pipeline_run.model_name / version))
    expected = pushed.signatures["serving_default"](**tensors)[taxi_facts.output()].numpy()
    np.testing.assert_allclose(probabilities, expected, atol=1e-6)
