"""`PredictionLog` records, TF Serving's request-log format, from served requests.

A record holds the request as the client could have sent it over gRPC and the
response it got, plus `log_metadata` (the version that answered, the sampling
config, the SavedModel tags). REST requests become the equivalent
`PredictRequest` / `ClassificationRequest` / `RegressionRequest`, so one reader
handles both APIs. These builders run on the log writer's thread, not on the
request path.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from tensorflow_serving.apis import (
    classification_pb2,
    input_pb2,
    model_pb2,
    prediction_log_pb2,
    regression_pb2,
)

from serving import inference
from serving.servable import SERVE_TAG
from serving.tensors import to_tensor_proto

PredictionLog = prediction_log_pb2.PredictionLog
# The gRPC API name -> the PredictionLog field its request and response go in.
_LOG_FIELDS = {
    "predict": "predict_log",
    "classify": "classify_log",
    "regress": "regress_log",
    "multi_inference": "multi_inference_log",
}
LOGGED_APIS = frozenset(_LOG_FIELDS)


def requested_spec(
    name: str, version: int | None, label: str | None, signature_name: str
) -> model_pb2.ModelSpec:
    """The ModelSpec a REST request asked for (its URL and `signature_name`)."""
    spec = model_pb2.ModelSpec(name=name, signature_name=signature_name)
    if version is not None:
        spec.version.value = version
    elif label is not None:
        spec.version_label = label
    return spec


def from_grpc(api: str, request, response) -> PredictionLog:
    """A record of a gRPC call (`api` is one of LOGGED_APIS)."""
    record = PredictionLog()
    entry = getattr(record, _LOG_FIELDS[api])
    entry.request.CopyFrom(request)
    entry.response.CopyFrom(response)
    return record


def rest_predict(
    request_spec: model_pb2.ModelSpec,
    inputs: Mapping[str, np.ndarray],
    response_spec: model_pb2.ModelSpec,
    outputs: Mapping[str, np.ndarray],
) -> PredictionLog:
    """A record of a REST `:predict`, as the equivalent PredictRequest/Response."""
    record = PredictionLog()
    request = record.predict_log.request
    request.model_spec.CopyFrom(request_spec)
    for alias, array in inputs.items():
        request.inputs[alias].CopyFrom(to_tensor_proto(array))
    response = record.predict_log.response
    response.model_spec.CopyFrom(response_spec)
    for alias, array in outputs.items():
        response.outputs[alias].CopyFrom(to_tensor_proto(array))
    return record


def rest_classify(
    request_spec: model_pb2.ModelSpec,
    request_input: input_pb2.Input,
    response_spec: model_pb2.ModelSpec,
    classifications: list[list[tuple[str, float]]],
) -> PredictionLog:
    """A record of a REST `:classify`, as the equivalent ClassificationRequest/Response."""
    request = classification_pb2.ClassificationRequest(model_spec=request_spec, input=request_input)
    response = classification_pb2.ClassificationResponse(model_spec=response_spec)
    inference.fill_classifications(response.result, classifications)
    return from_grpc("classify", request, response)


def rest_regress(
    request_spec: model_pb2.ModelSpec,
    request_input: input_pb2.Input,
    response_spec: model_pb2.ModelSpec,
    values: list[float],
) -> PredictionLog:
    """A record of a REST `:regress`, as the equivalent RegressionRequest/Response."""
    request = regression_pb2.RegressionRequest(model_spec=request_spec, input=request_input)
    response = regression_pb2.RegressionResponse(model_spec=response_spec)
    inference.fill_regressions(response.result, values)
    return from_grpc("regress", request, response)


def answered_spec(record: PredictionLog) -> model_pb2.ModelSpec:
    """Name, version and signature of the version that answered (from the response)."""
    kind = record.WhichOneof("log_type")
    response = getattr(record, kind).response
    if kind == "multi_inference_log":
        # One model, one version for every task; the signatures differ per task.
        spec = model_pb2.ModelSpec()
        if response.results:
            spec.CopyFrom(response.results[0].model_spec)
            spec.ClearField("signature_name")
        return spec
    return response.model_spec


def fill_metadata(
    record: PredictionLog, sampling_rate: float, timestamp_secs: int
) -> model_pb2.ModelSpec:
    """Sets `log_metadata` as TF Serving's logger does; returns the answering spec."""
    metadata = record.log_metadata
    metadata.model_spec.CopyFrom(answered_spec(record))
    metadata.sampling_config.sampling_rate = sampling_rate
    metadata.saved_model_tags.append(SERVE_TAG)
    metadata.timestamp_secs = timestamp_secs
    return metadata.model_spec


def drop_columns(record: PredictionLog, columns: Iterable[str]) -> None:
    """Removes the named request inputs: tensor aliases, and tf.Example features."""
    columns = set(columns)
    if not columns:
        return
    kind = record.WhichOneof("log_type")
    request = getattr(record, kind).request
    if kind == "predict_log":
        for name in columns & set(request.inputs):
            del request.inputs[name]
    else:
        for example in _examples(request.input):
            for name in columns & set(example.features.feature):
                del example.features.feature[name]


def _examples(request_input: input_pb2.Input) -> list:
    kind = request_input.WhichOneof("kind")
    if kind == "example_list":
        return list(request_input.example_list.examples)
    if kind == "example_list_with_context":
        with_context = request_input.example_list_with_context
        return [with_context.context, *with_context.examples]
    return []
