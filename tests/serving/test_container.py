"""The TensorFlow Serving container files: a linted Dockerfile and configs that parse."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from serving.config import read_batching_parameters, read_model_config_file, read_monitoring_config

CONTAINER = Path(__file__).resolve().parents[2] / "serving" / "container"


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.fail("hadolint is not installed; it comes with the dev dependencies (uv sync)")
    return found


def test_dockerfile_passes_hadolint():
    result = subprocess.run(
        [_hadolint(), str(CONTAINER / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_pins_the_serving_image_matching_the_client_api():
    from importlib.metadata import version

    first = (CONTAINER / "Dockerfile").read_text().split("FROM ", 1)[1].split()[0]
    assert first == f"tensorflow/serving:{version('tensorflow-serving-api')}"


def test_model_config_serves_two_versions_of_the_taxi_model():
    (config,) = read_model_config_file(str(CONTAINER / "models.config"))
    assert config.name == "taxi" and config.base_path == "/models/taxi"
    assert config.policy.kind == "latest" and config.policy.num_versions == 2


def test_batching_and_monitoring_configs_parse():
    batching = read_batching_parameters(str(CONTAINER / "batching.config"))
    assert batching.max_batch_size == 100_000 and batching.batch_timeout_micros == 2000
    assert batching.enable_large_batch_splitting and batching.execution_batch_size == 256
    monitoring = read_monitoring_config(str(CONTAINER / "monitoring.config"))
    assert monitoring.prometheus_enabled
    assert monitoring.prometheus_path == "/monitoring/prometheus/metrics"


def test_compose_publishes_both_ports_on_loopback_only():
    compose = (CONTAINER / "compose.yaml").read_text()
    assert '"127.0.0.1:8500:8500"' in compose and '"127.0.0.1:8501:8501"' in compose


def test_compose_mounts_the_config_folder_so_rewrites_reach_the_server():
    compose = (CONTAINER / "compose.yaml").read_text()
    assert "- .:/config:ro" in compose
