"""Clients for a TensorFlow Serving compatible server, over REST and gRPC.

The same clients talk to the TensorFlow Serving container and to this
project's local server (`python -m serving`). Both retry when the server is
UNAVAILABLE (starting up, or switching versions) and honour a timeout.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
import numpy as np

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_RETRIES = 3
_BACKOFF_S = 0.2


class ServingError(RuntimeError):
    """The server answered with an error; `status` is the HTTP or gRPC code name."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclasses.dataclass(frozen=True)
class Prediction:
    """Outputs of one Predict call, keyed by output alias."""

    outputs: dict[str, np.ndarray]
    model_version: str | None = None
    signature_name: str | None = None

    def only(self) -> np.ndarray:
        """The single output of a one-output signature."""
        if len(self.outputs) != 1:
            raise ValueError(f"expected one output, got {sorted(self.outputs)}")
        return next(iter(self.outputs.values()))


@dataclasses.dataclass(frozen=True)
class VersionStatus:
    version: str
    state: str
    error_code: str = "OK"
    error_message: str = ""


def _with_retries(call: Callable[[], T], retryable: Callable[[Exception], bool], retries: int) -> T:
    for attempt in range(retries + 1):
        try:
            return call()
        except Exception as e:
            if attempt == retries or not retryable(e):
                raise
            time.sleep(_BACKOFF_S * 2**attempt)
    raise AssertionError("unreachable")


def _model_path(model: str, version: int | None, label: str | None) -> str:
    if version is not None and label is not None:
        raise ValueError("give a version or a label, not both")
    path = f"/v1/models/{model}"
    if version is not None:
        path += f"/versions/{int(version)}"
    elif label is not None:
        path += f"/labels/{label}"
    return path


class RestClient:
    """TensorFlow Serving's REST API (default port 8501)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        self.model = model
        self.retries = retries
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> RestClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def _retryable(e: Exception) -> bool:
        return isinstance(e, httpx.TransportError) or (
            isinstance(e, ServingError) and e.status == "503"
        )

    def _request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> dict:
        def call() -> dict:
            # TF Serving reads NaN and Infinity as bare tokens (a missing
            # float feature is sent as NaN); httpx's own encoder rejects them.
            content = None if body is None else json.dumps(body, allow_nan=True)
            response = self._http.request(
                method, path, content=content, headers={"Content-Type": "application/json"}
            )
            payload = response.json()
            if response.status_code != 200:
                raise ServingError(str(response.status_code), payload.get("error", ""))
            return payload

        return _with_retries(call, self._retryable, self.retries)

    def predict(
        self,
        instances: list,
        *,
        signature_name: str | None = None,
        version: int | None = None,
        label: str | None = None,
    ) -> Prediction:
        """Row-format Predict: one element (or one dict of named inputs) per example."""
        body: dict[str, Any] = {"instances": instances}
        if signature_name:
            body["signature_name"] = signature_name
        path = _model_path(self.model, version, label) + ":predict"
        predictions = self._request("POST", path, body)["predictions"]
        if predictions and isinstance(predictions[0], dict):
            outputs = {k: np.array([p[k] for p in predictions]) for k in predictions[0]}
        else:
            outputs = {"predictions": np.array(predictions)}
        return Prediction(outputs=outputs, signature_name=signature_name)

    def status(self, version: int | None = None) -> list[VersionStatus]:
        payload = self._request("GET", _model_path(self.model, version, None))
        return [
            VersionStatus(
                version=s["version"],
                state=s["state"],
                error_code=s.get("status", {}).get("error_code", "OK"),
                error_message=s.get("status", {}).get("error_message", ""),
            )
            for s in payload["model_version_status"]
        ]

    def metadata(self, version: int | None = None, label: str | None = None) -> dict:
        return self._request("GET", _model_path(self.model, version, label) + "/metadata")


class GrpcClient:
    """TensorFlow Serving's gRPC API (default port 8500)."""

    def __init__(
        self,
        target: str,
        model: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        max_message_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        import grpc
        from tensorflow_serving.apis import model_service_pb2_grpc, prediction_service_pb2_grpc

        self.model = model
        self.timeout = timeout
        self.retries = retries
        # gRPC clients default to a 4 MiB receive limit; batches exceed it.
        self._channel = grpc.insecure_channel(
            target,
            options=[
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes),
            ],
        )
        self._predict = prediction_service_pb2_grpc.PredictionServiceStub(self._channel)
        self._models = model_service_pb2_grpc.ModelServiceStub(self._channel)

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> GrpcClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def _retryable(e: Exception) -> bool:
        import grpc

        return isinstance(e, grpc.RpcError) and e.code() == grpc.StatusCode.UNAVAILABLE

    def _call(self, method: Callable, request):
        import grpc

        try:
            return _with_retries(
                lambda: method(request, timeout=self.timeout), self._retryable, self.retries
            )
        except grpc.RpcError as e:
            raise ServingError(e.code().name, e.details() or "") from None

    def _spec(self, request_spec, version: int | None, label: str | None, signature: str | None):
        request_spec.name = self.model
        if version is not None:
            request_spec.version.value = int(version)
        if label is not None:
            request_spec.version_label = label
        if signature:
            request_spec.signature_name = signature

    def predict(
        self,
        inputs: Mapping[str, Any],
        *,
        signature_name: str | None = None,
        version: int | None = None,
        label: str | None = None,
    ) -> Prediction:
        """Predict with named input arrays (batch along the first axis)."""
        import tensorflow as tf
        from tensorflow_serving.apis import predict_pb2

        from serving.tensors import to_tensor_proto

        request = predict_pb2.PredictRequest()
        self._spec(request.model_spec, version, label, signature_name)
        for name, value in inputs.items():
            request.inputs[name].CopyFrom(to_tensor_proto(np.asarray(value)))
        response = self._call(self._predict.Predict, request)
        return Prediction(
            outputs={k: tf.make_ndarray(v) for k, v in response.outputs.items()},
            model_version=str(response.model_spec.version.value),
            signature_name=response.model_spec.signature_name,
        )

    def metadata(self, version: int | None = None, label: str | None = None) -> dict:
        """GetModelMetadata's signatures, in the JSON shape TF Serving's REST API answers."""
        from google.protobuf import json_format
        from tensorflow_serving.apis import get_model_metadata_pb2

        request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=["signature_def"])
        self._spec(request.model_spec, version, label, None)
        response = self._call(self._predict.GetModelMetadata, request)
        signatures = get_model_metadata_pb2.SignatureDefMap()
        response.metadata["signature_def"].Unpack(signatures)
        return {
            "model_spec": json_format.MessageToDict(
                response.model_spec, preserving_proto_field_name=True
            ),
            "metadata": {
                "signature_def": json_format.MessageToDict(
                    signatures, preserving_proto_field_name=True
                )
            },
        }

    def status(self, version: int | None = None) -> list[VersionStatus]:
        from tensorflow_serving.apis import get_model_status_pb2

        request = get_model_status_pb2.GetModelStatusRequest()
        self._spec(request.model_spec, version, None, None)
        response = self._call(self._models.GetModelStatus, request)
        states = get_model_status_pb2.ModelVersionStatus.State
        return [
            VersionStatus(
                version=str(s.version),
                state=states.Name(s.state),
                error_code=str(s.status.error_code),
                error_message=s.status.error_message,
            )
            for s in response.model_version_status
        ]
