"""The request log's record bytes for a gRPC call, assembled around the request as received."""

from __future__ import annotations

import pytest
from tensorflow.core.example import example_pb2
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    inference_pb2,
    predict_pb2,
    regression_pb2,
)

from serving import prediction_log


def _predict_call() -> tuple[predict_pb2.PredictRequest, predict_pb2.PredictResponse]:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "taxi"
    request.model_spec.version_label = "stable"
    for name, value in {"fare": 12.5, "trip_miles": 3.25}.items():
        tensor = request.inputs[name]
        tensor.dtype = types_pb2.DT_FLOAT
        tensor.tensor_shape.dim.add(size=1)
        tensor.float_val.append(value)
    request.inputs["company"].CopyFrom(
        tensor_pb2.TensorProto(dtype=types_pb2.DT_STRING, string_val=[b"Flash Cab" * 20])
    )
    response = predict_pb2.PredictResponse()
    response.model_spec.name = "taxi"
    response.model_spec.version.value = 1796049083
    response.model_spec.signature_name = "serving_default"
    response.outputs["outputs"].float_val.append(0.25)
    return request, response


def _regress_call():
    request = regression_pb2.RegressionRequest()
    request.model_spec.name = "m"
    example = request.input.example_list.examples.add()
    example.features.feature["x"].float_list.value.append(2.0)
    response = regression_pb2.RegressionResponse()
    response.model_spec.name = "m"
    response.model_spec.version.value = 7
    response.result.regressions.add(value=3.0)
    return request, response


def _classify_call():
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = "m"
    with_context = request.input.example_list_with_context
    with_context.context.CopyFrom(example_pb2.Example())
    with_context.examples.add().features.feature["x"].int64_list.value.append(1)
    response = classification_pb2.ClassificationResponse()
    response.model_spec.name = "m"
    response.model_spec.version.value = 3
    response.result.classifications.add().classes.add(label="a", score=0.5)
    return request, response


def _multi_inference_call():
    request = inference_pb2.MultiInferenceRequest()
    task = request.tasks.add()
    task.model_spec.name = "m"
    task.method_name = "tensorflow/serving/regress"
    request.input.example_list.examples.add()
    response = inference_pb2.MultiInferenceResponse()
    result = response.results.add()
    result.model_spec.name = "m"
    result.model_spec.version.value = 9
    result.model_spec.signature_name = "regress_x"
    result.regression_result.regressions.add(value=1.0)
    return request, response


CALLS = {
    "predict": _predict_call,
    "regress": _regress_call,
    "classify": _classify_call,
    "multi_inference": _multi_inference_call,
}


@pytest.mark.parametrize("api", sorted(CALLS))
def test_assembled_bytes_are_the_record_the_message_path_builds(api):
    request, response = CALLS[api]()
    expected = prediction_log.from_grpc(api, request, response)
    spec = prediction_log.fill_metadata(expected, 0.25, 1_700_000_123)

    call = prediction_log.GrpcCall(api, request.SerializeToString(), response)
    data, version = prediction_log.serialize(call, (), 0.25, 1_700_000_123)

    assert prediction_log.PredictionLog.FromString(data) == expected
    assert version == spec.version.value
    assert version > 0


def test_a_long_request_gets_a_multi_byte_length_prefix():
    request, response = _predict_call()
    for index in range(300):  # > 16 KiB of request bytes: a 3-byte varint length
        request.inputs[f"feature_{index}"].string_val.append(b"x" * 64)
    call = prediction_log.GrpcCall("predict", request.SerializeToString(), response)

    data, _ = prediction_log.serialize(call, (), 1.0, 1)

    record = prediction_log.PredictionLog.FromString(data)
    assert record.predict_log.request == request
    assert record.predict_log.response == response


def test_dropped_columns_are_removed_from_the_logged_request_only():
    request, response = _predict_call()
    call = prediction_log.GrpcCall("predict", request.SerializeToString(), response)

    data, _ = prediction_log.serialize(call, ("company", "not_sent"), 1.0, 1)

    logged = prediction_log.PredictionLog.FromString(data).predict_log.request
    assert set(logged.inputs) == {"fare", "trip_miles"}
    assert "company" in request.inputs  # the served request is untouched
