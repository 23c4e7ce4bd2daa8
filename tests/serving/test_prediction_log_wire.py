"""The request log's records assembled from bytes: a gRPC request as received, a REST
request encoded from its arrays (serving.wire)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.example import example_pb2
from tensorflow.core.framework import tensor_pb2, types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    inference_pb2,
    model_pb2,
    predict_pb2,
    regression_pb2,
)

from serving import prediction_log, wire
from serving.tensors import to_tensor_proto


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


ARRAYS = {
    "float32": np.array([[1.5], [-2.25]], dtype=np.float32),
    "float64": np.array([1e300, -0.0, np.nan]),
    "int32": np.array([[1, -2, 3]], dtype=np.int32),
    "int8": np.array([-128, 127], dtype=np.int8),
    "uint16": np.array([65535, 0], dtype=np.uint16),
    "int64": np.array([2**40, -1, -(2**63)], dtype=np.int64),
    "uint64": np.array([2**64 - 1], dtype=np.uint64),
    "bool": np.array([True, False]),
    "strings": np.array([b"Flash Cab", b"Taxi Affiliation", b""], dtype=object),
    "unicode": np.array(["Cash", "Crédit"]),
    "half": np.array([1.5, -2.0], dtype=np.float16),
    "complex": np.array([1 + 2j], dtype=np.complex64),
    "scalar": np.float32(4.0),
    "empty": np.zeros((0, 3), dtype=np.float32),
}


@pytest.mark.parametrize("name", sorted(ARRAYS))
def test_hand_encoded_tensors_are_the_ones_the_message_path_builds(name):
    array = np.asarray(ARRAYS[name])

    encoded = wire.tensor(array)

    assert encoded == to_tensor_proto(array).SerializeToString()
    assert tensor_pb2.TensorProto.FromString(encoded).SerializeToString() == encoded


def test_a_rest_predict_record_holds_the_request_a_grpc_client_would_send():
    inputs = {"fare": np.array([12.5, 3.0], np.float32), "company": np.array([b"a", b"b"], object)}
    outputs = {"outputs": np.array([[0.25], [0.75]], np.float32)}
    asked = prediction_log.requested_spec("taxi", None, "stable", "")
    answered = model_pb2.ModelSpec(name="taxi", signature_name="serving_default")
    answered.version.value = 5

    data, version = prediction_log.serialize(
        prediction_log.rest_predict(asked, inputs, answered, outputs), (), 1.0, 7
    )

    record = prediction_log.PredictionLog.FromString(data)
    request = record.predict_log.request
    assert version == 5
    assert request.model_spec == asked
    assert set(request.inputs) == set(inputs)
    for name, array in inputs.items():
        np.testing.assert_array_equal(tf.make_ndarray(request.inputs[name]), array)
    logged = tf.make_ndarray(record.predict_log.response.outputs["outputs"])
    np.testing.assert_array_equal(logged, outputs["outputs"])
    assert record.log_metadata.model_spec == answered


def test_a_rest_predict_record_drops_columns_and_keeps_its_response():
    inputs = {"fare": np.array([12.5], np.float32), "company": np.array([b"a"], object)}
    outputs = {"outputs": np.array([[0.25]], np.float32)}
    answered = model_pb2.ModelSpec(name="taxi", signature_name="serving_default")
    answered.version.value = 5
    call = prediction_log.rest_predict(
        prediction_log.requested_spec("taxi", None, None, ""), inputs, answered, outputs
    )

    data, version = prediction_log.serialize(call, ("company",), 1.0, 7)

    record = prediction_log.PredictionLog.FromString(data)
    assert version == 5
    assert set(record.predict_log.request.inputs) == {"fare"}
    assert record.predict_log.response.model_spec == answered
    logged = tf.make_ndarray(record.predict_log.response.outputs["outputs"])
    np.testing.assert_array_equal(logged, outputs["outputs"])
    assert record.log_metadata.model_spec == answered
