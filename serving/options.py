"""The server's settings, kept free of heavy imports so the CLI can parse flags fast."""

from __future__ import annotations

import dataclasses
import os

# TF Serving has no request size flag but caps gzip bodies at 100 MB.
DEFAULT_MAX_BODY_BYTES = 100 * 1024 * 1024


def sampling_rate_error(rate: float, field: str) -> str | None:
    """Why `rate` is not a sampling rate (a fraction in [0, 1]), or None if it is."""
    if not 0.0 <= rate <= 1.0:  # also false for NaN
        return f"{field} must be in [0, 1], got {rate}"
    return None


@dataclasses.dataclass(frozen=True)
class RequestLogOptions:
    """This server's request-log settings (flags TF Serving does not have).

    `directory` and `sampling_rate` turn logging on for the single model of
    `--model_base_path`; with a model config file each model's own
    `logging_config` does. The rest applies to every logged model.
    """

    directory: str | None = None
    sampling_rate: float = 1.0
    # Request inputs (tensor aliases, tf.Example features) never written (privacy).
    drop_columns: tuple[str, ...] = ()
    # A fixed seed makes which requests are sampled reproducible (tests, replays).
    sampling_seed: int | None = None
    queue_size: int = 1024
    max_file_bytes: int = 64 * 1024 * 1024
    max_file_records: int = 0  # 0: no limit
    # A file is closed (and readable) at the latest this long after it was opened.
    max_file_seconds: float = 600.0


@dataclasses.dataclass(frozen=True)
class SessionThreads:
    """Thread counts of every model's TensorFlow session; 0 lets TensorFlow choose."""

    intra_op: int = 0  # threads that parallelize one op
    inter_op: int = 0  # ops that run at once (the shared inter-op pool's size)

    @classmethod
    def from_flags(cls, session: int, intra_op: int, inter_op: int) -> SessionThreads:
        """TF Serving's rule (model_servers/server.cc): the intra/inter pair if either
        is set, else `session` for both; all three set is an error, and so is a
        negative count."""
        for flag, value in (("session", session), ("intra_op", intra_op), ("inter_op", inter_op)):
            if value < 0:
                raise ValueError(f"--tensorflow_{flag}_parallelism must be at least 0, got {value}")
        if session > 0 and intra_op > 0 and inter_op > 0:
            raise ValueError(
                "Either configure --tensorflow_session_parallelism or "
                "(--tensorflow_intra_op_parallelism, --tensorflow_inter_op_parallelism) "
                "separately. You cannot configure all."
            )
        if intra_op > 0 or inter_op > 0:
            return cls(intra_op, inter_op)
        return cls(session, session)


@dataclasses.dataclass(frozen=True)
class ServerOptions:
    """The server's settings; the CLI flags map one to one onto these fields."""

    host: str = "127.0.0.1"
    port: int = 8500
    rest_api_port: int = 8501
    model_name: str = "default"
    model_base_path: str | None = None
    model_config_file: str | None = None
    model_config_file_poll_wait_seconds: float = 0
    file_system_poll_wait_seconds: float = 1
    allow_version_labels_for_unavailable_models: bool = False
    enable_batching: bool = False
    batching_parameters_file: str | None = None
    monitoring_config_file: str | None = None
    rest_api_timeout_in_ms: int = 30000
    rest_api_enable_cors_support: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    enable_model_warmup: bool = True
    num_request_iterations_for_warmup: int = 1
    grpc_max_threads: int = 4 * (os.cpu_count() or 1)
    # Refuse :classify/:regress on signatures not saved with that method name.
    enable_signature_method_name_check: bool = False
    # Also serve gRPC on this UNIX socket (`unix:` address), as TF Serving's flag does.
    grpc_socket_path: str | None = None
    session_threads: SessionThreads = dataclasses.field(default_factory=SessionThreads)
    request_log: RequestLogOptions = dataclasses.field(default_factory=RequestLogOptions)
