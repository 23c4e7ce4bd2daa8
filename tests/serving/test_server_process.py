"""The server as a process: flags and environment, metrics, graceful shutdown."""

from __future__ import annotations

import re
import signal
import time

import httpx
import pytest

M = "half_plus_two"
API = f"/v1/models/{M}"
REQUEST_COUNT = re.compile(
    r'^:tensorflow:serving:request_count(?:_total)?\{model_name="half_plus_two",status="(\w+)"\} '
    r"([0-9.e+]+)$",
    re.MULTILINE,
)


def request_counts(rest) -> dict[str, float]:
    response = rest.get("/monitoring/prometheus/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {status: float(value) for status, value in REQUEST_COUNT.findall(response.text)}


def test_prometheus_counts_requests_by_model_and_status(rest):
    before = request_counts(rest)

    for _ in range(3):
        assert rest.post(f"{API}:predict", json={"instances": [1.0]}).status_code == 200
    assert rest.post(f"{API}:predict", json={"instances": ["a"]}).status_code == 400

    after = request_counts(rest)
    assert after["OK"] - before.get("OK", 0) == 3
    assert after["INVALID_ARGUMENT"] - before.get("INVALID_ARGUMENT", 0) == 1
    page = rest.get("/monitoring/prometheus/metrics").text
    assert ":tensorflow:serving:request_latency_bucket{" in page


def test_container_environment_and_sigterm(start_server, make_model_dir, local_only):
    model_dir = make_model_dir()
    env = {"MODEL_NAME": M, "MODEL_BASE_PATH": str(model_dir.parent)}
    endpoint = start_server(env=env)  # no --model_name / --model_base_path flags

    response = httpx.post(f"{endpoint.rest_url}{API}:predict", json={"instances": [1.0]})
    assert response.json() == {"predictions": [2.5]}

    started = time.monotonic()
    endpoint.process.popen.send_signal(signal.SIGTERM)
    assert endpoint.process.popen.wait(timeout=30) == 0
    assert time.monotonic() - started < 15
    assert "Shutting down" in endpoint.process.log_path.read_text()


def test_flags_and_environment_map_onto_options(local_only):
    from serving.__main__ import parse_options

    options = parse_options(
        ["--port", "9000", "--rest_api_port=0", "--enable_batching", "--enable_model_warmup=false"],
        {"MODEL_NAME": "taxi", "MODEL_BASE_PATH": "/models"},
    )

    assert (options.port, options.rest_api_port) == (9000, 0)
    assert options.model_name == "taxi"
    assert options.model_base_path == "/models/taxi"
    assert options.enable_batching is True
    assert options.enable_model_warmup is False
    assert options.host == "127.0.0.1"


def test_startup_fails_without_a_model(tmp_path, local_only):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "serving", "--port=0", "--rest_api_port=0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )

    assert result.returncode == 2
    assert "--model_base_path" in result.stderr


@pytest.mark.parametrize("flag", ["--port=notanumber", "--enable_batching=maybe"])
def test_bad_flags_are_rejected(flag, local_only):
    from serving.__main__ import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args([flag])
