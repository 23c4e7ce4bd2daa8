"""Version lifecycle: hot loading (#29), a corrupt version, version policy and labels.

These tests write into a served model directory, so they use their own
server (`reloading_server`), or one started from a model config file.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import httpx
import pytest
import tensorflow as tf
from google.protobuf import text_format
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import (
    model_management_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_log_pb2,
    prediction_service_pb2_grpc,
)
from tensorflow_serving.config import model_server_config_pb2

M = "half_plus_two"
API = f"/v1/models/{M}"
RELOAD_TIMEOUT_S = 30


def wait_for(condition: Callable[[], bool], what: str, timeout: float = RELOAD_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def versions(client: httpx.Client) -> dict[str, dict]:
    """The model's version statuses, keyed by version."""
    response = client.get(API)
    if response.status_code != 200:
        return {}
    return {s["version"]: s for s in response.json()["model_version_status"]}


def serving_version(client: httpx.Client, path: str = API) -> str:
    """The version that answers for `path` (latest, a label...), from its metadata."""
    return client.get(f"{path}/metadata").json()["model_spec"]["version"]


def publish_version(base: Path, source: Path, version: int) -> Path:
    """Copies a version under a hidden name, then renames it into place atomically."""
    staging = base / f".staging-{version}"
    shutil.copytree(source, staging)
    target = base / str(version)
    os.rename(staging, target)
    return target


def latest_version_dir(base: Path) -> Path:
    return max((p for p in base.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


class PredictLoop:
    """Keeps predicting in the background and records every failure."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        self._stop = threading.Event()
        self.failures: list[str] = []
        self.count = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PredictLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            response = self._client.post(f"{API}:predict", json={"instances": [[2.0]]})
            self.count += 1
            if response.status_code != 200 or response.json() != {"predictions": [[3.0]]}:
                self.failures.append(response.text)


@pytest.mark.mutates_model_dir
def test_new_version_is_hot_loaded_without_dropping_requests(reloading_server):  # 29
    base = reloading_server.model_dir
    current = latest_version_dir(base)
    new_version = int(current.name) + 1
    with reloading_server.client() as client, PredictLoop(client) as loop:
        publish_version(base, current, new_version)

        wait_for(
            lambda: versions(client).get(str(new_version), {}).get("state") == "AVAILABLE",
            f"version {new_version} to become AVAILABLE",
        )
        wait_for(lambda: serving_version(client) == str(new_version), "the switch")

        shutil.rmtree(base / str(new_version))  # leave the directory as it was
        wait_for(lambda: serving_version(client) == current.name, "the old version back")
    assert loop.count > 0
    assert loop.failures == []


@pytest.mark.mutates_model_dir
def test_corrupt_version_fails_and_the_last_good_one_keeps_serving(reloading_server, local_only):
    base = reloading_server.model_dir
    good = latest_version_dir(base)
    bad_version = int(good.name) + 1000
    staging = base / ".staging-bad"
    shutil.copytree(good, staging)
    pb = staging / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[: pb.stat().st_size // 2])  # a half-written copy
    os.rename(staging, base / str(bad_version))
    with reloading_server.client() as client:
        wait_for(
            lambda: versions(client).get(str(bad_version), {}).get("state") == "END",
            "the corrupt version to fail",
        )
        status = versions(client)[str(bad_version)]["status"]
        assert status["error_code"] != "OK"
        assert status["error_message"]
        assert serving_version(client) == good.name
        response = client.post(f"{API}:predict", json={"instances": [[2.0]]})
        assert response.json() == {"predictions": [[3.0]]}
        log = reloading_server.process.log_path.read_text()
        assert f"Still serving {{name: {M} version: {good.name}}}; version {bad_version}" in log

        # Completing the copy makes the server retry the version.
        shutil.copy(good / "saved_model.pb", base / str(bad_version) / "saved_model.pb")
        wait_for(lambda: serving_version(client) == str(bad_version), "the repaired version")

        shutil.rmtree(base / str(bad_version))
        wait_for(lambda: serving_version(client) == good.name, "the old version back")


def write_warmup(version_dir: Path, signature_name: str) -> None:
    """Writes assets.extra/tf_serving_warmup_requests with one Predict request."""
    log = prediction_log_pb2.PredictionLog()
    request = log.predict_log.request
    request.model_spec.name = M
    request.model_spec.signature_name = signature_name
    request.inputs["x"].CopyFrom(_float_tensor(1.0))
    (version_dir / "assets.extra").mkdir(exist_ok=True)
    with tf.io.TFRecordWriter(
        str(version_dir / "assets.extra" / "tf_serving_warmup_requests")
    ) as w:
        w.write(log.SerializeToString())


@pytest.mark.mutates_model_dir
def test_warmup_requests_are_replayed_before_a_version_serves(reloading_server, local_only):
    base = reloading_server.model_dir
    good = latest_version_dir(base)
    # Version numbers no other test uses: statuses of removed versions stay listed.
    broken, warm = int(good.name) + 2000, int(good.name) + 3000
    staging = base / ".staging-warmup"
    shutil.copytree(good, staging)
    write_warmup(staging, "nope")
    os.rename(staging, base / str(broken))
    with reloading_server.client() as client:
        wait_for(
            lambda: versions(client).get(str(broken), {}).get("state") == "END",
            "the version with a failing warmup request to fail",
        )
        message = versions(client)[str(broken)]["status"]["error_message"]
        assert 'Serving signature key "nope" not found.' in message

        shutil.copytree(good, staging)
        write_warmup(staging, "serving_default")
        os.rename(staging, base / str(warm))
        wait_for(lambda: serving_version(client) == str(warm), "the warmed-up version")

        shutil.rmtree(base / str(warm))
        shutil.rmtree(base / str(broken))
        wait_for(lambda: serving_version(client) == good.name, "the old version back")


@pytest.fixture(scope="module")
def labelled_server(start_server, make_model_dir, tmp_path_factory, local_only):
    """Versions 123-125 on disk, a `specific` policy serving 123 and 124, two labels."""
    base = make_model_dir(123, 124, 125)
    config = tmp_path_factory.mktemp("config") / "models.config"
    config.write_text(
        "model_config_list {\n"
        "  config {\n"
        f"    name: '{M}'\n"
        f"    base_path: '{base}'\n"
        "    model_platform: 'tensorflow'\n"
        "    model_version_policy { specific { versions: 123 versions: 124 } }\n"
        "    version_labels { key: 'stable' value: 123 }\n"
        "    version_labels { key: 'canary' value: 124 }\n"
        "  }\n"
        "}\n"
    )
    endpoint = start_server(
        f"--model_config_file={config}",
        "--allow_version_labels_for_unavailable_models=true",
    )
    endpoint.model_dir = base
    endpoint.config_file = config
    return endpoint


def test_specific_policy_serves_only_the_listed_versions(labelled_server):
    with labelled_server.client() as client:
        assert {v: s["state"] for v, s in versions(client).items()} == {
            "124": "AVAILABLE",
            "123": "AVAILABLE",
        }
        assert serving_version(client) == "124"
        response = client.post(f"{API}/versions/125:predict", json={"instances": [1.0]})
        assert response.status_code == 404


def test_labels_route_to_their_versions(labelled_server):
    with labelled_server.client() as client:
        response = client.post(f"{API}/labels/canary:predict", json={"instances": [[1.0]]})
        assert response.status_code == 200, response.text
        assert response.json() == {"predictions": [[2.5]]}
        assert serving_version(client, f"{API}/labels/canary") == "124"
        assert serving_version(client, f"{API}/labels/stable") == "123"

    request = predict_pb2.PredictRequest()
    request.model_spec.name = M
    request.model_spec.version_label = "stable"
    request.inputs["x"].CopyFrom(_float_tensor(1.0))
    with grpc.insecure_channel(labelled_server.grpc_target) as channel:
        response = prediction_service_pb2_grpc.PredictionServiceStub(channel).Predict(
            request, timeout=30
        )
    assert response.model_spec.version.value == 123


def reload_config(endpoint, config: model_server_config_pb2.ModelServerConfig):
    with grpc.insecure_channel(endpoint.grpc_target) as channel:
        stub = model_service_pb2_grpc.ModelServiceStub(channel)
        return stub.HandleReloadConfigRequest(
            model_management_pb2.ReloadConfigRequest(config=config), timeout=60
        )


def test_reload_config_changes_versions_and_labels(labelled_server):
    original = text_format.Parse(
        labelled_server.config_file.read_text(), model_server_config_pb2.ModelServerConfig()
    )
    config = model_server_config_pb2.ModelServerConfig()
    config.CopyFrom(original)
    model = config.model_config_list.config[0]
    model.model_version_policy.specific.versions[:] = [125]
    model.version_labels.clear()
    model.version_labels["stable"] = 125

    response = reload_config(labelled_server, config)

    assert response.status.error_code == 0
    try:
        with labelled_server.client() as client:
            states = {v: s["state"] for v, s in versions(client).items()}
            assert states == {"125": "AVAILABLE", "124": "END", "123": "END"}
            assert serving_version(client, f"{API}/labels/stable") == "125"
            canary = client.get(f"{API}/labels/canary/metadata")
            assert canary.status_code == 400
            assert "Unrecognized servable version label: canary" in canary.json()["error"]
    finally:
        assert reload_config(labelled_server, original).status.error_code == 0


def _float_tensor(value: float) -> tensor_pb2.TensorProto:
    return tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT,
        tensor_shape=tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)] * 2
        ),
        float_val=[value],
    )
