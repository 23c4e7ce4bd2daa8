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


# Every flag of `tensorflow_model_server` 2.16.1 (tensorflow_serving/model_servers/main.cc
# at tag 2.16.1), with a value of its type.
TF_SERVING_2_16_FLAGS = {
    "port": "8500", "grpc_socket_path": "/tmp/tfs.sock", "rest_api_port": "8501",
    "rest_api_num_threads": "8", "rest_api_timeout_in_ms": "30000",
    "rest_api_enable_cors_support": "false", "enable_batching": "false",
    "allow_version_labels_for_unavailable_models": "false", "batching_parameters_file": "b.config",
    "enable_per_model_batching_parameters": "false", "model_config_file": "models.config",
    "model_config_file_poll_wait_seconds": "0", "model_name": "m", "model_base_path": "/models/m",
    "num_load_threads": "0", "num_unload_threads": "0", "max_num_load_retries": "5",
    "load_retry_interval_micros": "60000000", "file_system_poll_wait_seconds": "1",
    "flush_filesystem_caches": "true", "tensorflow_session_parallelism": "0",
    "tensorflow_session_config_file": "s.config", "tensorflow_intra_op_parallelism": "0",
    "tensorflow_inter_op_parallelism": "0", "use_alts_credentials": "false",
    "ssl_config_file": "", "platform_config_file": "p.config",
    "per_process_gpu_memory_fraction": "0", "saved_model_tags": "serve",
    "grpc_channel_arguments": "grpc.max_connection_age_ms=1000", "grpc_max_threads": "8",
    "enable_model_warmup": "true", "num_request_iterations_for_warmup": "0", "version": "false",
    "monitoring_config_file": "monitoring.config",
    "remove_unused_fields_from_bundle_metagraph": "true", "prefer_tflite_model": "false",
    "num_tflite_pools": "2", "num_tflite_interpreters_per_pool": "1",
    "enable_signature_method_name_check": "false", "xla_cpu_compilation_enabled": "false",
    "enable_profiler": "true", "thread_pool_factory_config_file": "t.config",
    "mixed_precision": "bfloat16", "skip_initialize_tpu": "false",
    "enable_grpc_healthcheck_service": "false",
}  # fmt: skip


def test_every_tf_serving_flag_is_accepted(local_only):
    from serving.__main__ import build_parser, ignored_flags, options_from_args

    assert len(TF_SERVING_2_16_FLAGS) == 46
    parser = build_parser()
    args = parser.parse_args([f"--{name}={value}" for name, value in TF_SERVING_2_16_FLAGS.items()])
    options = options_from_args(parser, args, {})
    assert options.grpc_socket_path == "/tmp/tfs.sock"
    assert options.enable_signature_method_name_check is False
    said = "\n".join(ignored_flags(args))
    assert "--rest_api_num_threads=8 has no effect here" in said
    assert "--mixed_precision=bfloat16 has no effect here" in said
    assert "--port" not in said and "--enable_batching" not in said, "implemented flags"
    assert "parallelism" not in said, "the session's thread flags are implemented"


@pytest.mark.parametrize(
    ("flags", "intra_op", "inter_op"),
    [
        ([], 0, 0),
        (["--tensorflow_session_parallelism=4"], 4, 4),
        (["--tensorflow_session_parallelism=4", "--tensorflow_intra_op_parallelism=2"], 2, 0),
        (["--tensorflow_inter_op_parallelism=3"], 0, 3),
        (["--tensorflow_intra_op_parallelism=1", "--tensorflow_inter_op_parallelism=2"], 1, 2),
    ],
)
def test_session_threads_follow_tf_servings_rule(flags, intra_op, inter_op, local_only):
    from serving.__main__ import parse_options
    from serving.options import SessionThreads

    options = parse_options(["--model_base_path=/m", *flags], {})
    assert options.session_threads == SessionThreads(intra_op, inter_op)


def test_a_negative_parallelism_is_a_usage_error_naming_the_flag(local_only, capsys):
    from serving.__main__ import parse_options

    with pytest.raises(SystemExit) as e:
        parse_options(["--model_base_path=/m", "--tensorflow_inter_op_parallelism=-1"], {})
    assert e.value.code == 2
    assert "--tensorflow_inter_op_parallelism must be at least 0, got -1" in capsys.readouterr().err


def test_all_three_parallelism_flags_are_a_usage_error(local_only, capsys):
    from serving.__main__ import parse_options

    flags = [f"--tensorflow_{kind}_parallelism=2" for kind in ("session", "intra_op", "inter_op")]
    with pytest.raises(SystemExit) as e:
        parse_options(["--model_base_path=/m", *flags], {})
    assert e.value.code == 2
    assert "You cannot configure all." in capsys.readouterr().err


@pytest.mark.parametrize(
    "flag",
    ["--rest_api_timeout=5", "--enable_batch", "--model_base=/m", "--file_system_poll=2"],
)
def test_flag_names_are_exact_as_in_tf_serving(flag, local_only):
    from serving.__main__ import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args([flag])


@pytest.mark.parametrize("flag", ["--ssl_config_file=ssl.config", "--use_alts_credentials"])
def test_transport_security_flags_are_refused_not_ignored(flag, local_only, capsys):
    from serving.__main__ import parse_options

    with pytest.raises(SystemExit) as e:
        parse_options([flag, "--model_base_path=/m"], {})
    assert e.value.code == 2
    assert "not implemented here" in capsys.readouterr().err


def test_version_prints_the_two_lines_tf_serving_prints(local_only):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "serving", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("TensorFlow ModelServer: ")
    assert lines[1].startswith("TensorFlow Library: 2.16")


def test_metrics_follow_tf_serving(rest, start_server, make_model_dir, local_only):  # 37
    page = rest.get("/monitoring/prometheus/metrics").text
    assert "# TYPE :tensorflow:serving:request_count counter" in page
    plain = start_server(f"--model_name={M}", f"--model_base_path={make_model_dir()}")
    response = httpx.get(f"{plain.rest_url}/monitoring/prometheus/metrics", timeout=30)
    assert response.status_code == 404, "no monitoring config, no metrics page"


def test_request_log_flags_map_onto_options(local_only):
    from serving.__main__ import parse_options

    options = parse_options(
        [
            "--model_base_path=/m",
            "--request_log_dir=logs",
            "--request_log_sampling_rate=0.5",
            "--request_log_drop_columns=email, phone,",
            "--request_log_max_file_records=100",
        ],
        {},
    )
    log = options.request_log
    assert (log.directory, log.sampling_rate, log.max_file_records) == ("logs", 0.5, 100)
    assert log.drop_columns == ("email", "phone")
    assert parse_options(["--model_base_path=/m"], {}).request_log.directory is None


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["--request_log_dir=l", "--request_log_sampling_rate=1.5"], "must be in [0, 1]"),
        (["--request_log_sampling_rate=0.5"], "needs --request_log_dir"),
        (
            ["--request_log_dir=l", "--model_config_file=m.config"],
            "give each model a logging_config",
        ),
        (["--request_log_dir=l", "--request_log_queue_size=0"], "at least 1"),
    ],
)
def test_bad_request_log_flags_are_usage_errors(flags, fragment, local_only, capsys):
    from serving.__main__ import parse_options

    with pytest.raises(SystemExit) as e:
        parse_options(["--model_base_path=/m", *flags], {})
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "--request_log_" in err
