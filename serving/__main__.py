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
from serving.options import (
    RequestLogOptions,
    ServerOptions,
    SessionThreads,
    sampling_rate_error,
)


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "t", "yes", "y"):
        return True
    if value in ("0", "false", "f", "no", "n"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


# tensorflow_model_server 2.16.1 flags (main.cc) this server accepts and does not
# act on, with why: a deployment script written for TF Serving still starts, and
# the log says what was ignored.
NO_EFFECT_FLAGS: dict[str, tuple[type, str]] = {
    "rest_api_num_threads": (int, "REST requests are served by one asyncio event loop"),
    "enable_per_model_batching_parameters": (_bool, "batching parameters are server-wide"),
    "num_load_threads": (int, "versions load one at a time"),
    "num_unload_threads": (int, "versions unload one at a time"),
    "max_num_load_retries": (int, "a failed load is retried at the next file-system poll"),
    "load_retry_interval_micros": (int, "a failed load is retried at the next poll"),
    "flush_filesystem_caches": (_bool, "there is no file-system cache to flush"),
    "tensorflow_session_config_file": (str, "sessions use TensorFlow's default ConfigProto"),
    "platform_config_file": (str, "only TensorFlow SavedModels are served"),
    "per_process_gpu_memory_fraction": (float, "there is no GPU"),
    "saved_model_tags": (str, "models load with the 'serve' tag"),
    "grpc_channel_arguments": (str, "gRPC runs with its defaults"),
    "remove_unused_fields_from_bundle_metagraph": (_bool, "the metagraph is kept whole"),
    "prefer_tflite_model": (_bool, "TFLite models are not served"),
    "num_tflite_pools": (int, "TFLite models are not served"),
    "num_tflite_interpreters_per_pool": (int, "TFLite models are not served"),
    "xla_cpu_compilation_enabled": (_bool, "XLA JIT is not enabled"),
    "enable_profiler": (_bool, "there is no profiler service"),
    "thread_pool_factory_config_file": (str, "TensorFlow's own thread pools are used"),
    "mixed_precision": (str, "models run in the precision they were saved in"),
    "skip_initialize_tpu": (_bool, "there is no TPU"),
    "enable_grpc_healthcheck_service": (_bool, "grpc.health.v1 is not served"),
}
# Flags whose silent no-op would be unsafe: TLS that is not there.
REFUSED_FLAGS = {
    "ssl_config_file": (str, "TLS is not implemented here: serve behind a TLS proxy"),
    "use_alts_credentials": (_bool, "ALTS is not implemented here"),
}


def build_parser() -> argparse.ArgumentParser:
    """The command line, with tensorflow_model_server's flag names.

    Names are exact, as for TF Serving's flag parser: `--enable_batch` is an error,
    not `--enable_batching`.
    """
    parser = argparse.ArgumentParser(
        prog="python -m serving", description=__doc__.split("\n\n")[0], allow_abbrev=False
    )
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
    add(
        "--grpc_max_threads",
        type=int,
        default=None,
        help="worker threads for batched, large and ReloadConfig gRPC calls",
    )
    add("--grpc_socket_path", default=None, help="also serve gRPC on this UNIX socket")
    add(
        "--tensorflow_session_parallelism",
        type=int,
        default=0,
        help="threads of each session's pools when the two below are 0 (0: TensorFlow picks)",
    )
    add("--tensorflow_intra_op_parallelism", type=int, default=0, help="threads within one op")
    add("--tensorflow_inter_op_parallelism", type=int, default=0, help="ops run at once")
    flag(
        "--enable_signature_method_name_check",
        False,
        "refuse :classify/:regress on signatures not saved with that method name",
    )
    flag("--version", False, "print the version and exit")
    _add_request_log_flags(parser)
    ignored = parser.add_argument_group("accepted for compatibility, no effect here")
    for name, (kind, why) in {**NO_EFFECT_FLAGS, **REFUSED_FLAGS}.items():
        nargs = {"nargs": "?", "const": True} if kind is _bool else {}
        ignored.add_argument(f"--{name}", type=kind, default=None, help=why, **nargs)
    return parser


def _add_request_log_flags(parser: argparse.ArgumentParser) -> None:
    """This server's request-log flags; TF Serving has none (it reads `logging_config`)."""
    group = parser.add_argument_group(
        "request logging (this server's extension, not TF Serving flags)",
        "Sampled requests and responses go to TFRecord files of PredictionLog records. "
        "With --model_config_file, each model's logging_config turns logging on instead "
        "of --request_log_dir.",
    )
    add = group.add_argument
    add("--request_log_dir", default=None, help="log the single model's requests here")
    add(
        "--request_log_sampling_rate",
        type=float,
        default=None,
        help="fraction of requests logged, in [0, 1] (default 1; needs --request_log_dir)",
    )
    add(
        "--request_log_drop_columns",
        default="",
        metavar="A,B",
        help="request inputs (tensor aliases, tf.Example features) never written, any model",
    )
    add("--request_log_sampling_seed", type=int, default=None, help="reproducible sampling")
    add("--request_log_queue_size", type=int, default=1024, help="records waiting to be written")
    add("--request_log_max_file_bytes", type=int, default=64 * 1024 * 1024)
    add("--request_log_max_file_records", type=int, default=0, help="0: no limit")
    add("--request_log_max_file_seconds", type=float, default=600.0)


def request_log_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace
) -> RequestLogOptions:
    """The request-log flags as `RequestLogOptions`, or a usage error (exit 2)."""
    if args.request_log_dir and args.model_config_file:
        parser.error(
            "--request_log_dir is for a single model (--model_base_path); with "
            "--model_config_file give each model a logging_config"
        )
    rate = args.request_log_sampling_rate
    if rate is not None and not args.request_log_dir:
        parser.error("--request_log_sampling_rate needs --request_log_dir")
    rate = 1.0 if rate is None else rate
    error = sampling_rate_error(rate, "--request_log_sampling_rate")
    if error:
        parser.error(error)
    for name in ("queue_size", "max_file_bytes"):
        if getattr(args, f"request_log_{name}") < 1:
            parser.error(f"--request_log_{name} must be at least 1")
    drop = tuple(c.strip() for c in args.request_log_drop_columns.split(",") if c.strip())
    return RequestLogOptions(
        directory=args.request_log_dir,
        sampling_rate=rate,
        drop_columns=drop,
        sampling_seed=args.request_log_sampling_seed,
        queue_size=args.request_log_queue_size,
        max_file_bytes=args.request_log_max_file_bytes,
        max_file_records=max(0, args.request_log_max_file_records),
        max_file_seconds=args.request_log_max_file_seconds,
    )


def session_threads(parser: argparse.ArgumentParser, args: argparse.Namespace) -> SessionThreads:
    try:
        return SessionThreads.from_flags(
            args.tensorflow_session_parallelism,
            args.tensorflow_intra_op_parallelism,
            args.tensorflow_inter_op_parallelism,
        )
    except ValueError as exc:
        parser.error(str(exc))


def ignored_flags(args: argparse.Namespace) -> list[str]:
    """A log line for each accepted flag that was given but has no effect here."""
    return [
        f"--{name}={getattr(args, name)} has no effect here: {why}"
        for name, (_, why) in NO_EFFECT_FLAGS.items()
        if getattr(args, name) is not None
    ]


def parse_options(argv: Sequence[str] | None, environ: Mapping[str, str]) -> ServerOptions:
    """Flags plus the container's environment variables, as `ServerOptions`."""
    parser = build_parser()
    return options_from_args(parser, parser.parse_args(argv), environ)


def version_text() -> str:
    """What `--version` prints, in tensorflow_model_server's two lines."""
    from importlib.metadata import version

    return (
        "TensorFlow ModelServer: python -m serving (the TensorFlow Serving 2.16.1 API)\n"
        f"TensorFlow Library: {version('tensorflow')}"
    )


def options_from_args(
    parser: argparse.ArgumentParser, args: argparse.Namespace, environ: Mapping[str, str]
) -> ServerOptions:
    """Parsed flags plus the environment as `ServerOptions`, or a usage error (exit 2)."""
    for name, (_, why) in REFUSED_FLAGS.items():
        if getattr(args, name):
            parser.error(f"--{name}: {why}")
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
        "enable_signature_method_name_check": args.enable_signature_method_name_check,
        "grpc_socket_path": args.grpc_socket_path,
        "session_threads": session_threads(parser, args),
        "request_log": request_log_options(parser, args),
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
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(version_text())
        return 0
    options = options_from_args(parser, args, os.environ)
    for line in ignored_flags(args):
        logging.getLogger("serving").warning(line)

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
