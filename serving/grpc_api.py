"""The gRPC API: `tensorflow.serving.PredictionService` and `ModelService`.

Servicers translate protos to the protocol-neutral calls in `inference` and
errors to gRPC status codes with TF Serving's messages (cut to 1024
characters plus `...TRUNCATED`, as grpc_status_util.cc does).

The server is `grpc.aio`'s, on an event loop of its own thread. A small
request without batching is answered on the loop itself: its model step is
shorter than handing it to a worker thread and back (docs/benchmarks.md,
"Serving"). Large requests, batched ones (which wait for their neighbours)
and model reloads run on a pool of `--grpc_max_threads` workers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import threading
import time
from collections.abc import Callable
from concurrent import futures

import grpc
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_management_pb2,
    model_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    regression_pb2,
)

from serving import inference, prediction_log
from serving.config import ModelConfig, model_configs_from_proto
from serving.errors import Code, ServingError, as_serving_error, invalid_argument, unimplemented
from serving.inference import Runner
from serving.metrics import ServingMetrics
from serving.repository import ModelRepository
from serving.request_log import RequestLogger
from serving.tensors import to_ndarray, to_tensor_proto

SIGNATURE_DEF_FIELD = "signature_def"
_MAX_MESSAGE = 1024
_UNLIMITED = 2**31 - 1


@dataclasses.dataclass(frozen=True)
class Received:
    """A request as parsed, with the bytes it arrived as (for its size and the log)."""

    message: object
    data: bytes


# PredictionService's methods: (request type, response type).
_PREDICTION_METHODS = {
    "Classify": (
        classification_pb2.ClassificationRequest,
        classification_pb2.ClassificationResponse,
    ),
    "Regress": (regression_pb2.RegressionRequest, regression_pb2.RegressionResponse),
    "Predict": (predict_pb2.PredictRequest, predict_pb2.PredictResponse),
    "MultiInference": (inference_pb2.MultiInferenceRequest, inference_pb2.MultiInferenceResponse),
    "GetModelMetadata": (
        get_model_metadata_pb2.GetModelMetadataRequest,
        get_model_metadata_pb2.GetModelMetadataResponse,
    ),
}
_PREDICTION_SERVICE = "tensorflow.serving.PredictionService"


def add_prediction_service(server: grpc.aio.Server, service: PredictionService) -> None:
    """Registers `service` as tensorflow.serving.PredictionService; its methods get
    `Received` requests instead of bare messages."""
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(
            getattr(service, name),
            request_deserializer=_receiver(request_type),
            response_serializer=response_type.SerializeToString,
        )
        for name, (request_type, response_type) in _PREDICTION_METHODS.items()
    }
    server.add_generic_rpc_handlers(
        (grpc.method_handlers_generic_handler(_PREDICTION_SERVICE, handlers),)
    )


def _receiver(request_type) -> Callable[[bytes], Received]:
    def deserialize(data: bytes) -> Received:
        return Received(request_type.FromString(data), data)

    return deserialize


class PredictionService:
    """Predict, Classify, Regress, MultiInference and GetModelMetadata."""

    def __init__(
        self,
        repository: ModelRepository,
        runner: Runner,
        metrics: ServingMetrics,
        workers: futures.Executor,
        check_method_names: bool = False,
        request_log: RequestLogger | None = None,
    ):
        self._repository = repository
        self._runner = runner
        self._metrics = metrics
        self._workers = workers
        self._check_method = check_method_names
        self._request_log = request_log

    async def Predict(self, request, context):
        """Runs a signature on the request's input tensors."""
        return await self._serve("predict", request, context, self._predict)

    async def Classify(self, request, context):
        """Runs a classify signature on tf.Examples."""
        return await self._serve("classify", request, context, self._classify)

    async def Regress(self, request, context):
        """Runs a regress signature on tf.Examples."""
        return await self._serve("regress", request, context, self._regress)

    async def MultiInference(self, request, context):
        """Runs several classify/regress signatures of one model on the same input."""
        return await self._serve("multi_inference", request, context, self._multi_inference)

    async def GetModelMetadata(self, request, context):
        """Returns the SignatureDefs of a model version."""
        return await self._serve("GetModelMetadata", request, context, self._metadata)

    async def _serve(self, api: str, received: Received, context, fn: Callable):
        call = functools.partial(self._call, api, received, fn, _timeout_ms(context))
        if inference.runs_inline(self._runner, len(received.data)):
            response, error = call()
        else:
            response, error = await asyncio.get_running_loop().run_in_executor(self._workers, call)
        if error is not None:
            await abort(context, error)
        return response

    def _call(self, api: str, received: Received, fn: Callable, timeout_ms: int | None):
        """Runs `fn` and records it: (response, None) or (None, the error)."""
        started = time.perf_counter()
        model_name = _first_model_name(received.message)
        try:
            response = fn(received.message, timeout_ms)
            error = None
        except Exception as exc:
            response, error = None, as_serving_error(exc)
        if api in ("predict", "classify", "regress", "multi_inference"):
            status = error.code.name if error else Code.OK.name
            elapsed = time.perf_counter() - started
            self._metrics.record_request(model_name, api, "GRPC", status, elapsed)
        if error is None:
            self._log(api, model_name, received.data, response)
        return response, error

    def _log(self, api: str, model_name: str, request: bytes, response) -> None:
        """Hands a successful inference call to the request log (which samples it, or not)."""
        if self._request_log is not None and api in prediction_log.LOGGED_APIS:
            build = functools.partial(prediction_log.GrpcCall, api, request, response)
            self._request_log.maybe_log(model_name, build)

    def _predict(self, request: predict_pb2.PredictRequest, timeout_ms):
        spec = _model_spec(request)
        inputs = {alias: to_ndarray(proto, alias) for alias, proto in request.inputs.items()}
        with _lease(self._repository, spec) as servable:
            result = inference.predict(
                self._runner,
                servable,
                spec.signature_name,
                inputs,
                output_filter=list(request.output_filter),
                timeout_ms=timeout_ms,
            )
            response = predict_pb2.PredictResponse()
            inference.fill_model_spec(
                response.model_spec, spec.name, servable.version, result.signature_name
            )
        for alias, array in result.value.items():
            response.outputs[alias].CopyFrom(to_tensor_proto(array))
        return response

    def _classify(self, request: classification_pb2.ClassificationRequest, timeout_ms):
        spec = _model_spec(request)
        with _lease(self._repository, spec) as servable:
            result = self._on_examples(
                inference.classify, servable, spec, request.input, timeout_ms
            )
            response = classification_pb2.ClassificationResponse()
            inference.fill_model_spec(
                response.model_spec, spec.name, servable.version, result.signature_name
            )
        inference.fill_classifications(response.result, result.value)
        return response

    def _regress(self, request: regression_pb2.RegressionRequest, timeout_ms):
        spec = _model_spec(request)
        with _lease(self._repository, spec) as servable:
            result = self._on_examples(inference.regress, servable, spec, request.input, timeout_ms)
            response = regression_pb2.RegressionResponse()
            inference.fill_model_spec(
                response.model_spec, spec.name, servable.version, result.signature_name
            )
        inference.fill_regressions(response.result, result.value)
        return response

    def _multi_inference(self, request: inference_pb2.MultiInferenceRequest, timeout_ms):
        if not request.tasks:
            raise invalid_argument("MultiInferenceRequest must have at least one task")
        names = {task.model_spec.name for task in request.tasks}
        if len(names) != 1:
            raise invalid_argument(
                "All ModelSpecs in a MultiInferenceRequest must access the same model name."
            )
        signatures = [
            inference.resolve_signature_name(t.model_spec.signature_name) for t in request.tasks
        ]
        for index, signature in enumerate(signatures):
            if signature in signatures[:index]:
                raise invalid_argument(f"Duplicate evaluation of signature: {signature}")
        response = inference_pb2.MultiInferenceResponse()
        with _lease(self._repository, request.tasks[0].model_spec) as servable:
            for task in request.tasks:
                self._run_task(servable, task, request.input, timeout_ms, response.results.add())
        return response

    def _on_examples(self, run: Callable, servable, spec, request_input, timeout_ms):
        """`inference.classify` or `.regress` on the request's examples, as configured."""
        return run(
            self._runner,
            servable,
            spec.signature_name,
            request_input,
            timeout_ms,
            check_method=self._check_method,
        )

    def _run_task(self, servable, task, request_input, timeout_ms, result) -> None:
        spec = task.model_spec
        if task.method_name == inference.CLASSIFY_METHOD:
            outcome = self._on_examples(
                inference.classify, servable, spec, request_input, timeout_ms
            )
            inference.fill_classifications(result.classification_result, outcome.value)
        elif task.method_name == inference.REGRESS_METHOD:
            outcome = self._on_examples(
                inference.regress, servable, spec, request_input, timeout_ms
            )
            inference.fill_regressions(result.regression_result, outcome.value)
        else:
            # multi_inference.cc: any other method is not implemented for MultiInference.
            raise unimplemented(f"Unsupported signature method_name: {task.method_name}")
        inference.fill_model_spec(
            result.model_spec, spec.name, servable.version, outcome.signature_name
        )

    def _metadata(self, request: get_model_metadata_pb2.GetModelMetadataRequest, _timeout_ms):
        spec = _model_spec(request)
        if not request.metadata_field:
            raise invalid_argument(
                "GetModelMetadataRequest must specify at least one metadata_field"
            )
        for field in request.metadata_field:
            if field != SIGNATURE_DEF_FIELD:
                raise invalid_argument(f"Metadata field {field} is not supported")
        response = get_model_metadata_pb2.GetModelMetadataResponse()
        with _lease(self._repository, spec) as servable:
            response.model_spec.name = servable.name
            response.model_spec.version.value = servable.version
            response.metadata[SIGNATURE_DEF_FIELD].Pack(inference.signature_def_map(servable))
        return response


class ModelService(model_service_pb2_grpc.ModelServiceServicer):
    """GetModelStatus and HandleReloadConfigRequest."""

    def __init__(
        self,
        repository: ModelRepository,
        reload_config: Callable[[list[ModelConfig]], None],
        workers: futures.Executor,
    ):
        self._repository = repository
        self._reload_config = reload_config
        self._workers = workers

    async def GetModelStatus(self, request: get_model_status_pb2.GetModelStatusRequest, context):
        """The states of a model's versions."""
        try:
            spec = _model_spec(request)
            version = spec.version.value if spec.HasField("version") else None
            return inference.status_response(self._repository.status(spec.name, version))
        except Exception as exc:
            await abort(context, as_serving_error(exc))

    async def HandleReloadConfigRequest(
        self, request: model_management_pb2.ReloadConfigRequest, context
    ):
        """Replaces the served model list with the request's `model_config_list`."""
        response = model_management_pb2.ReloadConfigResponse()
        try:
            # Loading takes seconds: off the loop, which keeps answering meanwhile.
            configs = model_configs_from_proto(request.config)
            await asyncio.get_running_loop().run_in_executor(
                self._workers, self._reload_config, configs
            )
        except Exception as exc:
            error = as_serving_error(exc)
            response.status.error_code = int(error.code)
            response.status.error_message = error.message
            context.set_code(_grpc_code(error.code))
            context.set_details(_truncate(error.message))
        return response


class GrpcServer:
    """A `grpc.aio` server on an event loop in a thread of its own.

    `start()` binds host:port, and the UNIX socket `socket_path` when given,
    and raises OSError if either cannot be bound. Services are built on the
    loop by `add_services(server, workers)`, with the pool for work that must
    not run on the loop.
    """

    def __init__(
        self,
        host: str,
        port: int,
        add_services: Callable[[grpc.aio.Server, futures.Executor], None],
        max_workers: int,
        socket_path: str | None = None,
    ) -> None:
        self._addresses = [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"]
        if socket_path:
            self._addresses.append(f"unix:{socket_path}")
        self._add_services = add_services
        self._workers = futures.ThreadPoolExecutor(max_workers, thread_name_prefix="grpc")
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="grpc", daemon=True)
        self._server: grpc.aio.Server | None = None

    def start(self) -> None:
        """Starts serving; raises OSError if an address cannot be bound."""
        self._thread.start()
        try:
            self._on_loop(self._start())
        except BaseException:
            self._close_loop()
            raise

    def stop(self, grace_seconds: float) -> None:
        """Refuses new calls, lets running ones finish for up to `grace_seconds`."""
        if self._server is not None:
            self._on_loop(self._server.stop(grace_seconds))
        self._close_loop()
        self._workers.shutdown(wait=True)

    async def _start(self) -> None:
        server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", _UNLIMITED),
                ("grpc.max_send_message_length", _UNLIMITED),
            ],
        )
        self._add_services(server, self._workers)
        for address in self._addresses:
            try:
                bound = server.add_insecure_port(address)
            except RuntimeError:
                bound = 0
            if bound == 0:
                raise OSError(f"Could not bind the gRPC server to {address}")
        await server.start()
        self._server = server

    def _on_loop(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _close_loop(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)


async def abort(context: grpc.aio.ServicerContext, error: ServingError):
    """Ends the RPC with the error's gRPC code and TF Serving's (truncated) message."""
    await context.abort(_grpc_code(error.code), _truncate(error.message))


def _grpc_code(code: Code) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, code.name)


def _truncate(message: str) -> str:
    if len(message) <= _MAX_MESSAGE:
        return message
    return message[:_MAX_MESSAGE] + "...TRUNCATED"


def _model_spec(request) -> model_pb2.ModelSpec:
    if not request.HasField("model_spec"):
        raise invalid_argument("Missing ModelSpec")
    return request.model_spec


def _lease(repository: ModelRepository, spec: model_pb2.ModelSpec):
    choice = spec.WhichOneof("version_choice")
    version = spec.version.value if choice == "version" else None
    label = spec.version_label if choice == "version_label" else None
    return repository.lease(spec.name, version, label)


def _first_model_name(request) -> str:
    if hasattr(request, "tasks"):
        return request.tasks[0].model_spec.name if request.tasks else ""
    return request.model_spec.name


def _timeout_ms(context: grpc.ServicerContext) -> int | None:
    # TF Serving turns the client's deadline into the Session::Run timeout.
    remaining = context.time_remaining()
    if remaining is None or remaining > 1e9:
        return None
    return max(1, int(remaining * 1000))
