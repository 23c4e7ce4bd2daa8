"""The server's configuration files: models, batching and monitoring.

All three are text protos, as in TensorFlow Serving. `ModelServerConfig` comes
from the installed `tensorflow-serving-api` package; `BatchingParameters` and
`MonitoringConfig` are not shipped there, so their messages are declared here
(field numbers from TF Serving's `session_bundle_config.proto` and
`monitoring_config.proto`) and parsed with protobuf's own text parser.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Iterable

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message_factory,
    text_format,
    wrappers_pb2,
)
from tensorflow_serving.config import model_server_config_pb2

from serving.errors import invalid_argument
from serving.options import sampling_rate_error

DEFAULT_PROMETHEUS_PATH = "/monitoring/prometheus/metrics"
# LogCollectorConfig.type values this server writes: TFRecord files of PredictionLogs.
# TF Serving's open-source build registers no log collector at all.
LOG_COLLECTOR_TYPES = ("", "tfrecord")


@dataclasses.dataclass(frozen=True)
class VersionPolicy:
    """Which discovered versions of a model to serve (`ServableVersionPolicy`)."""

    kind: str = "latest"  # "latest" | "all" | "specific"
    num_versions: int = 1
    versions: frozenset[int] = frozenset()

    def select(self, available: Iterable[int]) -> set[int]:
        """The versions to load, out of the loadable versions on disk."""
        versions = sorted(set(available), reverse=True)
        if self.kind == "all":
            return set(versions)
        if self.kind == "specific":
            return {v for v in versions if v in self.versions}
        return set(versions[: max(1, self.num_versions)])


@dataclasses.dataclass(frozen=True)
class RequestLogging:
    """A model's `logging_config`: where its sampled requests go, and how many."""

    # Files go to <filename_prefix>/<model>/<version>/ (see serving.log_files).
    filename_prefix: str
    sampling_rate: float


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """One served model: where its versions live, which to serve, labels, request log."""

    name: str
    base_path: str
    policy: VersionPolicy = VersionPolicy()
    labels: tuple[tuple[str, int], ...] = ()
    logging: RequestLogging | None = None


@dataclasses.dataclass(frozen=True)
class BatchingConfig:
    """The batching parameters this server honours (others are ignored)."""

    # The largest request (TF's input_batch_size_limit): larger ones are refused.
    max_batch_size: int = 1000
    batch_timeout_micros: int = 0
    max_enqueued_batches: int = 10
    num_batch_threads: int = max(1, os.cpu_count() or 1)
    # With splitting, batches run at most max_execution_batch_size rows (default
    # max_batch_size), and a larger request is split across runs.
    enable_large_batch_splitting: bool = False
    max_execution_batch_size: int | None = None

    @property
    def execution_batch_size(self) -> int:
        """The most rows one merged run holds."""
        if self.enable_large_batch_splitting and self.max_execution_batch_size:
            return self.max_execution_batch_size
        return self.max_batch_size


@dataclasses.dataclass(frozen=True)
class MonitoringSettings:
    """Where (and whether) the Prometheus page is served."""

    prometheus_enabled: bool = False
    prometheus_path: str = DEFAULT_PROMETHEUS_PATH


def single_model_config(
    name: str, base_path: str, log_dir: str | None = None, sampling_rate: float = 1.0
) -> list[ModelConfig]:
    """The config implied by `--model_name` / `--model_base_path` (and `--request_log_dir`)."""
    logging = None
    if log_dir:
        logging = RequestLogging(os.path.abspath(log_dir), sampling_rate)
    return [ModelConfig(name=name, base_path=os.path.abspath(base_path), logging=logging)]


def add_request_logging(model, filename_prefix: str, sampling_rate: float = 1.0) -> None:
    """Give one `ModelConfig` proto a `logging_config` this server honours (TF Serving's
    open-source build refuses any: never for the container's file)."""
    logging = model.logging_config
    logging.log_collector_config.type = LOG_COLLECTOR_TYPES[-1]
    logging.log_collector_config.filename_prefix = filename_prefix
    logging.sampling_config.sampling_rate = sampling_rate


def write_model_config_file(config, output: str | os.PathLike | None) -> None:
    """A `ModelServerConfig` as the text proto servers read: into `output`, or to stdout.

    The file is written aside and renamed into place: servers poll it
    (`--model_config_file_poll_wait_seconds`) and must never read half a file.
    """
    import sys

    text = text_format.MessageToString(config)
    if not output:
        sys.stdout.write(text)
        return
    staging = f"{os.fspath(output)}.tmp-{os.getpid()}"
    try:
        with open(staging, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(staging, output)
    finally:
        if os.path.exists(staging):
            os.remove(staging)


def read_model_config_file(path: str) -> list[ModelConfig]:
    """Parses a text `ModelServerConfig` file into model configs."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        proto = text_format.Parse(text, model_server_config_pb2.ModelServerConfig())
    except text_format.ParseError as exc:
        raise invalid_argument(f"Invalid protobuf file: '{path}': {exc}") from exc
    return model_configs_from_proto(proto)


def model_configs_from_proto(proto) -> list[ModelConfig]:
    """Validates a `ModelServerConfig` and converts its `model_config_list`."""
    if proto.WhichOneof("config") != "model_config_list":
        raise invalid_argument(
            "ServerCore is being used with a configuration other than model_config_list, "
            "which this server does not support."
        )
    configs: list[ModelConfig] = []
    seen: set[str] = set()
    for model in proto.model_config_list.config:
        if model.name in seen:
            raise invalid_argument(
                f"Illegal to list model {model.name} multiple times in config list"
            )
        seen.add(model.name)
        configs.append(_model_config_from_proto(model))
    return configs


def _model_config_from_proto(model) -> ModelConfig:
    if not model.name:
        raise invalid_argument("Model config has no name")
    if not model.base_path:
        raise invalid_argument(f"Model {model.name} has no base_path")
    if model.model_platform not in ("", "tensorflow"):
        raise invalid_argument(
            f"Model {model.name} has model_platform '{model.model_platform}'; "
            "only 'tensorflow' is supported"
        )
    return ModelConfig(
        name=model.name,
        base_path=os.path.abspath(model.base_path),
        policy=policy_from_proto(model.model_version_policy),
        labels=tuple(sorted(model.version_labels.items())),
        logging=_logging_from_proto(model),
    )


def _logging_from_proto(model) -> RequestLogging | None:
    """The model's `logging_config`, checked field by field; None when it has none."""
    if not model.HasField("logging_config"):
        return None
    collector = model.logging_config.log_collector_config
    field = f"Model {model.name}: logging_config"
    if collector.type not in LOG_COLLECTOR_TYPES:
        raise invalid_argument(
            f"{field}.log_collector_config.type '{collector.type}' is not supported: "
            "this server writes TFRecord files (type 'tfrecord', or leave it empty)"
        )
    if not collector.filename_prefix:
        raise invalid_argument(
            f"{field}.log_collector_config.filename_prefix is empty: "
            "name the folder the request logs go to"
        )
    rate = model.logging_config.sampling_config.sampling_rate
    error = sampling_rate_error(rate, f"{field}.sampling_config.sampling_rate")
    if error:
        raise invalid_argument(error)
    return RequestLogging(os.path.abspath(collector.filename_prefix), rate)


def policy_from_proto(policy) -> VersionPolicy:
    kind = policy.WhichOneof("policy_choice")
    if kind == "all":
        return VersionPolicy(kind="all")
    if kind == "specific":
        return VersionPolicy(kind="specific", versions=frozenset(policy.specific.versions))
    num = policy.latest.num_versions if kind == "latest" else 1
    return VersionPolicy(kind="latest", num_versions=max(1, num))


def read_batching_parameters(path: str | None) -> BatchingConfig:
    """Reads a text `BatchingParameters` file; defaults are SharedBatchScheduler's."""
    if not path:
        return BatchingConfig()
    with open(path, encoding="utf-8") as handle:
        proto = _parse_text(handle.read(), "tensorflow.serving.BatchingParameters", path)
    defaults = BatchingConfig()

    def wrapped(field: str, default: int) -> int:
        return getattr(proto, field).value if proto.HasField(field) else default

    config = BatchingConfig(
        max_batch_size=wrapped("max_batch_size", defaults.max_batch_size),
        batch_timeout_micros=wrapped("batch_timeout_micros", defaults.batch_timeout_micros),
        max_enqueued_batches=wrapped("max_enqueued_batches", defaults.max_enqueued_batches),
        num_batch_threads=wrapped("num_batch_threads", defaults.num_batch_threads),
        enable_large_batch_splitting=(
            proto.HasField("enable_large_batch_splitting")
            and proto.enable_large_batch_splitting.value
        ),
        max_execution_batch_size=wrapped("max_execution_batch_size", 0) or None,
    )
    if config.max_batch_size < 1 or config.num_batch_threads < 1:
        raise invalid_argument("max_batch_size and num_batch_threads must be positive")
    return config


def read_monitoring_config(path: str | None) -> MonitoringSettings:
    """Reads a text `MonitoringConfig`; without a file no metrics page is served (404),
    as with TF Serving (serving/container/monitoring.config turns it on)."""
    if not path:
        return MonitoringSettings()
    with open(path, encoding="utf-8") as handle:
        proto = _parse_text(handle.read(), "tensorflow.serving.MonitoringConfig", path)
    prometheus = proto.prometheus_config
    return MonitoringSettings(
        prometheus_enabled=prometheus.enable,
        prometheus_path=prometheus.path or DEFAULT_PROMETHEUS_PATH,
    )


def _parse_text(text: str, message_name: str, path: str):
    message = _message_class(message_name)()
    try:
        # Newer TF Serving releases add batching fields this server ignores.
        return text_format.Parse(text, message, allow_unknown_field=True)
    except text_format.ParseError as exc:
        raise invalid_argument(f"Invalid protobuf file: '{path}': {exc}") from exc


def _message_class(full_name: str):
    pool = _extra_pool()
    descriptor = pool.FindMessageTypeByName(full_name)
    get_class = getattr(message_factory, "GetMessageClass", None)
    if get_class is not None:
        return get_class(descriptor)
    return message_factory.MessageFactory(pool).GetPrototype(descriptor)


@functools.cache
def _extra_pool() -> descriptor_pool.DescriptorPool:
    """A private pool with the two config messages missing from the API package."""
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
    pool.Add(_config_file_descriptor())
    return pool


def _config_file_descriptor() -> descriptor_pb2.FileDescriptorProto:
    fdp = descriptor_pb2.FileDescriptorProto(
        name="serving_local/extra_config.proto",
        package="tensorflow.serving",
        syntax="proto3",
        dependency=["google/protobuf/wrappers.proto"],
    )
    field = descriptor_pb2.FieldDescriptorProto
    optional, repeated = field.LABEL_OPTIONAL, field.LABEL_REPEATED

    def add(message, name, number, type_, type_name=None, label=optional):
        entry = message.field.add(name=name, number=number, type=type_, label=label)
        if type_name:
            entry.type_name = type_name

    batching = fdp.message_type.add(name="BatchingParameters")
    int64_value, string_value = ".google.protobuf.Int64Value", ".google.protobuf.StringValue"
    for number, name in enumerate(
        ("max_batch_size", "batch_timeout_micros", "max_enqueued_batches", "num_batch_threads"),
        start=1,
    ):
        add(batching, name, number, field.TYPE_MESSAGE, int64_value)
    add(batching, "thread_pool_name", 5, field.TYPE_MESSAGE, string_value)
    add(batching, "allowed_batch_sizes", 6, field.TYPE_INT64, label=repeated)
    add(batching, "pad_variable_length_inputs", 7, field.TYPE_BOOL)
    bool_value = ".google.protobuf.BoolValue"
    add(batching, "enable_large_batch_splitting", 8, field.TYPE_MESSAGE, bool_value)
    add(batching, "max_execution_batch_size", 9, field.TYPE_MESSAGE, int64_value)

    prometheus = fdp.message_type.add(name="PrometheusConfig")
    add(prometheus, "enable", 1, field.TYPE_BOOL)
    add(prometheus, "path", 2, field.TYPE_STRING)
    monitoring = fdp.message_type.add(name="MonitoringConfig")
    add(
        monitoring,
        "prometheus_config",
        1,
        field.TYPE_MESSAGE,
        ".tensorflow.serving.PrometheusConfig",
    )
    return fdp
