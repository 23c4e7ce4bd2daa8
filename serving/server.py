"""Assembles the model server: repository, batching, gRPC, REST and metrics."""

from __future__ import annotations

import logging
import socket
import threading

import uvicorn
from tensorflow_serving.apis import model_service_pb2_grpc

from serving import warmup
from serving.batching import Batcher
from serving.config import (
    ModelConfig,
    read_batching_parameters,
    read_model_config_file,
    read_monitoring_config,
    single_model_config,
)
from serving.grpc_api import GrpcServer, ModelService, PredictionService, add_prediction_service
from serving.http_app import create_app
from serving.inference import DirectRunner
from serving.metrics import ServingMetrics
from serving.options import ServerOptions
from serving.repository import ModelRepository
from serving.request_log import RequestLogger
from serving.rest_handler import RestApiHandler
from serving.servable import Servable

log = logging.getLogger(__name__)


class ModelServer:
    """A TF Serving-compatible server for the models of one configuration."""

    def __init__(self, options: ServerOptions) -> None:
        self._options = options
        self._metrics = ServingMetrics()
        self._request_log = RequestLogger(
            options.request_log, on_outcome=self._metrics.record_request_log
        )
        self._batcher: Batcher | None = None
        self._repository = ModelRepository(
            self._load_version,
            allow_unavailable_labels=options.allow_version_labels_for_unavailable_models,
        )
        self._configs: list[ModelConfig] = []
        self._grpc_server = None
        self._rest_server: uvicorn.Server | None = None
        self._rest_thread: threading.Thread | None = None
        self._config_poller: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        """Loads the models, then starts gRPC and REST; raises if either cannot start."""
        options = self._options
        runner = DirectRunner()
        if options.enable_batching:
            batching = read_batching_parameters(options.batching_parameters_file)
            self._batcher = Batcher(batching, on_batch=self._metrics.record_batch)
            self._batcher.start()
            runner = self._batcher
        self._request_log.start()
        self.reload_config(self._read_configs())
        self._repository.start_polling(options.file_system_poll_wait_seconds)
        self._start_grpc(runner)
        if options.rest_api_port > 0:
            self._start_rest(runner)
        if options.model_config_file and options.model_config_file_poll_wait_seconds > 0:
            self._config_poller = threading.Thread(
                target=self._poll_config_file, name="config-poller", daemon=True
            )
            self._config_poller.start()

    def stop(self, grace_seconds: float = 5.0) -> None:
        """Stops taking requests, lets in-flight ones finish, then unloads the models."""
        self._stopping.set()
        if self._rest_server is not None:
            self._rest_server.should_exit = True
        if self._grpc_server is not None:
            self._grpc_server.stop(grace_seconds)
        if self._rest_thread is not None:
            self._rest_thread.join(timeout=grace_seconds + 5)
        if self._batcher is not None:
            self._batcher.stop()
        # After both APIs stopped: every answered request is queued, and gets written.
        self._request_log.close()
        self._repository.stop()

    def reload_config(self, configs: list[ModelConfig]) -> None:
        """Serves exactly `configs` from now on (initial config, file poll, ReloadConfig)."""
        self._repository.apply_config(configs)
        self._request_log.configure(configs)
        self._configs = configs

    def _read_configs(self) -> list[ModelConfig]:
        options = self._options
        if options.model_config_file:
            return read_model_config_file(options.model_config_file)
        return single_model_config(
            options.model_name,
            options.model_base_path or "",
            options.request_log.directory,
            options.request_log.sampling_rate,
        )

    def _load_version(self, name: str, version: int, path: str) -> Servable:
        servable = Servable.load(name, version, path, self._options.session_threads)
        if self._options.enable_model_warmup:
            try:
                iterations = self._options.num_request_iterations_for_warmup
                warmup.replay(servable, DirectRunner(), iterations)
            except BaseException:
                servable.retire()
                raise
        return servable

    def _start_grpc(self, runner) -> None:
        options = self._options

        def add_services(server, workers) -> None:
            prediction = PredictionService(
                self._repository,
                runner,
                self._metrics,
                workers,
                check_method_names=options.enable_signature_method_name_check,
                request_log=self._request_log,
            )
            model = ModelService(self._repository, self.reload_config, workers)
            add_prediction_service(server, prediction)
            model_service_pb2_grpc.add_ModelServiceServicer_to_server(model, server)

        self._grpc_server = GrpcServer(
            options.host,
            options.port,
            add_services,
            options.grpc_max_threads,
            socket_path=options.grpc_socket_path,
        )
        self._grpc_server.start()
        log.info("Running gRPC ModelServer at %s:%d ...", options.host, options.port)

    def _start_rest(self, runner) -> None:
        options = self._options
        handler = RestApiHandler(
            self._repository,
            runner,
            options.rest_api_timeout_in_ms,
            check_method_names=options.enable_signature_method_name_check,
            request_log=self._request_log,
        )
        app = create_app(
            handler,
            self._metrics,
            read_monitoring_config(options.monitoring_config_file),
            max_body_bytes=options.max_body_bytes,
            enable_cors=options.rest_api_enable_cors_support,
        )
        sock = _listening_socket(options.host, options.rest_api_port)
        config = uvicorn.Config(
            app,
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        self._rest_server = uvicorn.Server(config)
        self._rest_thread = threading.Thread(
            target=self._rest_server.run, kwargs={"sockets": [sock]}, name="rest", daemon=True
        )
        self._rest_thread.start()
        log.info("Exporting HTTP/REST API at:%s:%d ...", options.host, options.rest_api_port)

    def _poll_config_file(self) -> None:
        interval = self._options.model_config_file_poll_wait_seconds
        while not self._stopping.wait(interval):
            try:
                configs = read_model_config_file(self._options.model_config_file)
                if configs != self._configs:
                    log.info("Model config file changed; reloading")
                    self.reload_config(configs)
            except Exception:  # a bad edit must not stop later polls
                log.exception("Reloading %s failed", self._options.model_config_file)


def _listening_socket(host: str, port: int) -> socket.socket:
    """Binds the REST port up front, so a busy port fails startup, not a background thread.

    The socket is created with IPPROTO_TCP explicitly: asyncio only sets
    TCP_NODELAY on sockets whose protocol says TCP, and without it every
    response waits out the client's delayed ACK (~40 ms).
    """
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock
