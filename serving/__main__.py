"""`python -m serving`: a local TensorFlow Serving-compatible model server.

Takes `tensorflow_model_server`'s flags (`--port`, `--rest_api_port`,
`--model_name`, `--model_base_path`, `--model_config_file`, ...) and, like
the `tensorflow/serving` container, the `MODEL_NAME` / `MODEL_BASE_PATH`
environment variables: the base path defaults to `$MODEL_BASE_PATH/$MODEL_NAME`.
Runs until SIGTERM or SIGINT, then drains in-flight requests and exits 0.

    python -m serving --model_name=taxi --model_base_path=outputs/serving/taxi
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence

from models.keras_version import use_keras_2
from serving.options import ServerOptions


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "t", "yes", "y"):
        return True
    if value in ("0", "false", "f", "no", "n"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def build_parser() -> argparse.ArgumentParser:
    """The command line, with tensorflow_model_server's flag names."""
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__.split("\n\n")[0])
    add = parser.add_argument

    def flag(name: str, default: bool, help_text: str) -> None:
        # `--flag`, `--flag=true` and `--flag=false` all work, as with absl flags.
        add(name, type=_bool, nargs="?", const=True, default=default, help=help_text)

    add("--port", type=int, default=8500, help="gRPC port (default 8500)")
    add("--rest_api_port", type=int, default=8501, help="REST port, 0 turns REST off")
    add("--host", default="127.0.0.1", help="address to bind both servers to")
    add("--model_name", default=None, help="model name (default $MODEL_NAME, else 'default')")
    add("--model_base_path", default=None, help="default $MODEL_BASE_PATH/$MODEL_NAME")
    add("--model_config_file", default=None, help="text ModelServerConfig; overrides the above")
    add("--model_config_file_poll_wait_seconds", type=float, default=0.0)
    add("--file_system_poll_wait_seconds", type=float, default=1.0)
    flag(
        "--allow_version_labels_for_unavailable_models", False, "allow labels on unloaded versions"
    )
    flag("--enable_batching", False, "merge concurrent requests into batches")
    add("--batching_parameters_file", default=None, help="text BatchingParameters")
    add("--monitoring_config_file", default=None, help="text MonitoringConfig (Prometheus)")
    add("--rest_api_timeout_in_ms", type=int, default=30000)
    flag("--rest_api_enable_cors_support", False, "add CORS headers to REST responses")
    add(
        "--max_body_bytes",
        type=int,
        default=None,
        help="largest REST body accepted after gunzip, else 413 (default 100 MiB; 0 = no limit)",
    )
    flag("--enable_model_warmup", True, "replay assets.extra/tf_serving_warmup_requests")
    add("--num_request_iterations_for_warmup", type=int, default=1)
    add("--grpc_max_threads", type=int, default=None, help="gRPC worker threads")
    return parser


def parse_options(argv: Sequence[str] | None, environ: Mapping[str, str]) -> ServerOptions:
    """Flags plus the container's environment variables, as `ServerOptions`."""
    parser = build_parser()
    args = parser.parse_args(argv)
    model_name = args.model_name or environ.get("MODEL_NAME") or "default"
    base_path = args.model_base_path
    if base_path is None and environ.get("MODEL_BASE_PATH"):
        base_path = os.path.join(environ["MODEL_BASE_PATH"], model_name)
    if not args.model_config_file and not base_path:
        parser.error("give --model_config_file, or --model_base_path (or MODEL_BASE_PATH)")
    values = {
        "host": args.host,
        "port": args.port,
        "rest_api_port": args.rest_api_port,
        "model_name": model_name,
        "model_base_path": base_path,
        "model_config_file": args.model_config_file,
        "model_config_file_poll_wait_seconds": args.model_config_file_poll_wait_seconds,
        "file_system_poll_wait_seconds": args.file_system_poll_wait_seconds,
        "allow_version_labels_for_unavailable_models": (
            args.allow_version_labels_for_unavailable_models
        ),
        "enable_batching": args.enable_batching,
        "batching_parameters_file": args.batching_parameters_file,
        "monitoring_config_file": args.monitoring_config_file,
        "rest_api_timeout_in_ms": args.rest_api_timeout_in_ms,
        "rest_api_enable_cors_support": args.rest_api_enable_cors_support,
        "enable_model_warmup": args.enable_model_warmup,
        "num_request_iterations_for_warmup": args.num_request_iterations_for_warmup,
    }
    if args.max_body_bytes is not None:
        values["max_body_bytes"] = args.max_body_bytes
    if args.grpc_max_threads is not None:
        values["grpc_max_threads"] = args.grpc_max_threads
    return ServerOptions(**values)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the server until SIGTERM/SIGINT; returns the process exit code."""
    # Before the serving modules import TensorFlow; its C++ log noise is opt-in.
    use_keras_2()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    options = parse_options(argv, os.environ)

    from serving.server import ModelServer

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = ModelServer(options)
    try:
        server.start()
    except Exception as exc:
        logging.getLogger("serving").error("Failed to start server. Error: %s", exc)
        server.stop(grace_seconds=0)
        return 1
    while not stop.wait(0.5):
        pass
    logging.getLogger("serving").info("Shutting down: draining in-flight requests")
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
