"""`PredictionLog` records, TF Serving's request-log format, from served requests.

A record holds the request as the client could have sent it over gRPC and the
response it got, plus `log_metadata` (the version that answered, the sampling
config, the SavedModel tags). REST requests become the equivalent
`PredictRequest` / `ClassificationRequest` / `RegressionRequest`, so one reader
handles both APIs. These builders run in the log's writer process
(`serving.log_writer`), not on the request path.

A gRPC request is logged from the bytes it arrived as (`GrpcCall`), a REST
`:predict` from bytes encoded straight from its arrays: the record's bytes are
assembled around them (`serving.wire`), without building the request as a
message and serializing it. Building the taxi request's 16-entry input map as
a message cost ~0.3-0.4 ms of CPU per record (docs/benchmarks.md).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import numpy as np
from tensorflow_serving.apis import (
    classification_pb2,
    input_pb2,
    logging_pb2,
    model_pb2,
    predict_pb2,
    prediction_log_pb2,
    regression_pb2,
)

from serving import inference, json_codec, wire
from serving.servable import SERVE_TAG

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


def answered_spec_of(name: str, version: int, signature_name: str) -> model_pb2.ModelSpec:
    """The ModelSpec a response names: the version and signature that answered."""
    spec = model_pb2.ModelSpec()
    inference.fill_model_spec(spec, name, version, signature_name)
    return spec


@dataclasses.dataclass(frozen=True)
class GrpcCall:
    """A logged call as gRPC carries it: the request's wire bytes and the response.

    The response is the message, or its wire bytes together with `answered`
    (the spec of the version that answered, which the log's metadata names).
    """

    api: str  # one of LOGGED_APIS
    request: bytes
    response: object
    answered: model_pb2.ModelSpec | None = None

    def record(self) -> PredictionLog:
        """The call as a PredictionLog message (for edits such as dropped columns)."""
        record = PredictionLog()
        entry = getattr(record, _LOG_FIELDS[self.api])
        entry.request.MergeFromString(self.request)
        if isinstance(self.response, bytes):
            entry.response.MergeFromString(self.response)
        else:
            entry.response.CopyFrom(self.response)
        return record

    def response_bytes(self) -> bytes:
        if isinstance(self.response, bytes):
            return self.response
        return self.response.SerializeToString()

    def answered_spec(self) -> model_pb2.ModelSpec:
        if self.answered is not None:
            return self.answered
        return _answered(_LOG_FIELDS[self.api], self.response)


def serialize(
    record: PredictionLog | GrpcCall,
    drop: Iterable[str],
    sampling_rate: float,
    timestamp_secs: int,
) -> tuple[bytes, int]:
    """The record's bytes with `log_metadata` set and `drop` columns removed,
    and the version that answered."""
    drop = tuple(drop)
    if isinstance(record, GrpcCall):
        if not drop:
            return _assembled(record, sampling_rate, timestamp_secs)
        record = record.record()
    drop_columns(record, drop)
    spec = fill_metadata(record, sampling_rate, timestamp_secs)
    return record.SerializeToString(), spec.version.value


def _assembled(call: GrpcCall, sampling_rate: float, timestamp_secs: int) -> tuple[bytes, int]:
    """`PredictionLog` bytes built around the request's wire bytes.

    Protobuf's encoding of a message field is its tag, its length and its
    bytes, so `{metadata, <api>_log: {request, response}}` is concatenation.
    """
    log_field, request_field, response_field = _ENTRY_FIELDS[call.api]
    answered = call.answered_spec().SerializeToString()
    metadata, version = _metadata_field(answered, sampling_rate, timestamp_secs)
    entry = wire.field(request_field, call.request) + wire.field(
        response_field, call.response_bytes()
    )
    return metadata + wire.field(log_field, entry), version


def _entry_fields(log_field: str) -> tuple[int, int, int]:
    """Field numbers of `<api>_log` in PredictionLog and of its request and response."""
    entry = PredictionLog.DESCRIPTOR.fields_by_name[log_field].message_type.fields_by_name
    return wire.number(PredictionLog, log_field), entry["request"].number, entry["response"].number


_ENTRY_FIELDS = {api: _entry_fields(log_field) for api, log_field in _LOG_FIELDS.items()}
_METADATA_FIELD = wire.number(PredictionLog, "log_metadata")


@functools.lru_cache(maxsize=256)
def _metadata_field(
    answered_spec: bytes, sampling_rate: float, timestamp_secs: int
) -> tuple[bytes, int]:
    """The encoded `log_metadata` field and the answering version.

    Cached: every record of one version, rate and second has the same metadata.
    """
    metadata = logging_pb2.LogMetadata()
    spec = model_pb2.ModelSpec.FromString(answered_spec)
    _set_metadata(metadata, spec, sampling_rate, timestamp_secs)
    return wire.field(_METADATA_FIELD, metadata.SerializeToString()), spec.version.value


_PREDICT_MODEL_SPEC = wire.number(predict_pb2.PredictRequest, "model_spec")
_PREDICT_INPUTS = wire.number(predict_pb2.PredictRequest, "inputs")
_RESPONSE_MODEL_SPEC = wire.number(predict_pb2.PredictResponse, "model_spec")
_RESPONSE_OUTPUTS = wire.number(predict_pb2.PredictResponse, "outputs")


def from_grpc(api: str, request, response) -> PredictionLog:
    """A record of a gRPC call (`api` is one of LOGGED_APIS), from its messages."""
    return GrpcCall(api, request.SerializeToString(), response).record()


def rest_predict(
    request_spec: model_pb2.ModelSpec,
    inputs: Mapping[str, np.ndarray],
    response_spec: model_pb2.ModelSpec,
    outputs: Mapping[str, np.ndarray],
) -> GrpcCall:
    """A record of a REST `:predict`, as the equivalent PredictRequest/Response.

    The request's and the response's bytes are encoded straight from the arrays
    (`serving.wire`).
    """
    request = wire.field(_PREDICT_MODEL_SPEC, request_spec.SerializeToString())
    request += wire.tensor_map(_PREDICT_INPUTS, inputs)
    response = wire.field(_RESPONSE_MODEL_SPEC, response_spec.SerializeToString())
    response += wire.tensor_map(_RESPONSE_OUTPUTS, outputs)
    return GrpcCall("predict", request, response, answered=response_spec)


class RestPredict(NamedTuple):
    """A REST `:predict` to log, as what it arrived as: its record is built by `__call__`.

    The request log's writer process calls it: the body is decoded there again,
    by the same dtypes, so the server pays only for pickling the body, not for
    encoding every input tensor (docs/benchmarks.md, "Request logging").
    """

    requested: tuple[str, int | None, str | None, str]  # `requested_spec`'s arguments
    answered: tuple[str, int, str]  # `answered_spec_of`'s arguments
    body: bytes
    input_dtypes: Mapping[str, int]  # `Servable.input_dtypes`
    outputs: Mapping[str, np.ndarray]

    def __call__(self) -> GrpcCall:
        _, inputs = json_codec.predict_inputs(
            json_codec.parse_request(self.body), self.input_dtypes
        )
        return rest_predict(
            requested_spec(*self.requested), inputs, answered_spec_of(*self.answered), self.outputs
        )


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
    return _answered(kind, getattr(record, kind).response)


def _answered(kind: str, response) -> model_pb2.ModelSpec:
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
    _set_metadata(record.log_metadata, answered_spec(record), sampling_rate, timestamp_secs)
    return record.log_metadata.model_spec


def _set_metadata(metadata, spec: model_pb2.ModelSpec, sampling_rate: float, timestamp_secs: int):
    metadata.model_spec.CopyFrom(spec)
    metadata.sampling_config.sampling_rate = sampling_rate
    metadata.saved_model_tags.append(SERVE_TAG)
    metadata.timestamp_secs = timestamp_secs


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
