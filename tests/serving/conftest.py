"""Fixtures for the serving contract tests: the half_plus_two model and live servers.

Every fixture starts the real `python -m serving` as a subprocess on free
loopback ports and waits on TF Serving's readiness gate (the model's status
says AVAILABLE). The contract tests can run unchanged against a real
TensorFlow Serving instead, which is how they prove compatibility:

    mkdir -p /tmp/models /tmp/monitoring
    .venv/bin/python tests/serving/half_plus_two.py /tmp/models/half_plus_two/123
    printf 'prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }\\n' \\
        > /tmp/monitoring/monitoring.config
    docker run --rm -p 127.0.0.1:8500:8500 -p 127.0.0.1:8501:8501 \\
        -v /tmp/models:/models -v /tmp/monitoring:/monitoring:ro \\
        -e MODEL_NAME=half_plus_two tensorflow/serving:2.16.1 \\
        --monitoring_config_file=/monitoring/monitoring.config \\
        --file_system_poll_wait_seconds=1
    TF_SERVING_REST_URL=http://127.0.0.1:8501 TF_SERVING_GRPC_TARGET=127.0.0.1:8500 \\
        TF_SERVING_MODEL_DIR=/tmp/models/half_plus_two \\
        .venv/bin/python -m pytest tests/serving -p no:cacheprovider

`TF_SERVING_MODEL_DIR` (the host side of the mounted base path) is optional:
without it the hot-reload test, which writes a new version there, is skipped.
Tests of behaviour only this server has (its flags, a corrupt version's
status, the body size limit, config files) are skipped for an external server.
Tests that write into the model directory run last, so a shared external
server still serves only version 123 while the contract tests run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from live_servers import Endpoint, ServerPool

MODEL = "half_plus_two"
VERSION = 123
READY_TIMEOUT_S = 60
_HERE = Path(__file__).parent
_REPO_ROOT = _HERE.parent.parent
_MUTATES_MODEL_DIR = "mutates_model_dir"
# The container's: Prometheus at /monitoring/prometheus/metrics (without a monitoring
# config there is no metrics page, as with TF Serving).
MONITORING_CONFIG = _REPO_ROOT / "serving" / "container" / "monitoring.config"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MUTATES_MODEL_DIR}: writes into a served model directory; runs after other tests",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Stable sort: tests that add versions to a (possibly shared) model dir go last.
    items.sort(key=lambda item: item.get_closest_marker(_MUTATES_MODEL_DIR) is not None)


def _load_builder():
    spec = importlib.util.spec_from_file_location(
        "half_plus_two_builder", _HERE / "half_plus_two.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def half_plus_two_version(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly built half_plus_two SavedModel directory (copy it into a base path)."""
    export_dir = tmp_path_factory.mktemp("built") / str(VERSION)
    _load_builder().build(str(export_dir))
    return export_dir


@pytest.fixture(scope="session")
def make_model_dir(
    half_plus_two_version: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Path]:
    """Makes a model base path holding copies of half_plus_two at the given versions."""

    def make(*versions: int) -> Path:
        base = tmp_path_factory.mktemp("models") / MODEL
        for version in versions or (VERSION,):
            shutil.copytree(half_plus_two_version, base / str(version))
        return base

    return make


@pytest.fixture(scope="session")
def monitoring_config() -> Path:
    """The container's monitoring config, which turns the Prometheus page on."""
    return MONITORING_CONFIG


@pytest.fixture(scope="session")
def start_server(server_pool: ServerPool) -> Callable[..., Endpoint]:
    """Starts local servers (half_plus_two unless `model` says otherwise)."""

    def start(*args: str, model: str = MODEL, **kwargs) -> Endpoint:
        return server_pool.start(*args, model=model, **kwargs)

    return start


def _external_endpoint() -> Endpoint | None:
    rest_url = os.environ.get("TF_SERVING_REST_URL")
    grpc_target = os.environ.get("TF_SERVING_GRPC_TARGET")
    if not (rest_url and grpc_target):
        return None
    model_dir = os.environ.get("TF_SERVING_MODEL_DIR")
    return Endpoint(rest_url.rstrip("/"), grpc_target, Path(model_dir) if model_dir else None, True)


@pytest.fixture(scope="session")
def server(start_server, make_model_dir) -> Endpoint:
    """The shared server for the contract tests: half_plus_two version 123."""
    external = _external_endpoint()
    if external is not None:
        return external
    model_dir = make_model_dir()
    return start_server(
        f"--model_name={MODEL}",
        f"--model_base_path={model_dir}",
        "--max_body_bytes=1048576",
        f"--monitoring_config_file={MONITORING_CONFIG}",
    )


@pytest.fixture(scope="session")
def reloading_server(start_server, make_model_dir) -> Endpoint:
    """A server whose model directory the tests may change (hot reload, bad versions).

    Started the way the container starts it, from MODEL_NAME / MODEL_BASE_PATH.
    """
    external = _external_endpoint()
    if external is not None:
        if external.model_dir is None:
            pytest.skip("TF_SERVING_MODEL_DIR is not set for the external server")
        return external
    model_dir = make_model_dir()
    env = {"MODEL_NAME": MODEL, "MODEL_BASE_PATH": str(model_dir.parent)}
    return start_server("--file_system_poll_wait_seconds=1", env=env, model_dir=model_dir)


@pytest.fixture(scope="session")
def rest(server: Endpoint) -> Iterator[httpx.Client]:
    """An HTTP client for the shared server."""
    with server.client() as client:
        yield client


@pytest.fixture(scope="session")
def grpc_channel(server: Endpoint) -> Iterator[grpc.Channel]:
    """A gRPC channel to the shared server."""
    with grpc.insecure_channel(server.grpc_target) as channel:
        yield channel


@pytest.fixture(scope="session")
def local_only() -> None:
    """Skips a test of this server's own behaviour when testing an external server."""
    if _external_endpoint() is not None:
        pytest.skip("behaviour specific to the local server")
