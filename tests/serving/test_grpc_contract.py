"""gRPC contract of TF Serving 2.16.1: spec section 6 cases #30-#32, plus the other RPCs."""

from __future__ import annotations

import grpc
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow_serving.apis import (
    classification_pb2,
    get_model_metadata_pb2,
    get_model_status_pb2,
    inference_pb2,
    model_service_pb2_grpc,
    predict_pb2,
    prediction_service_pb2_grpc,
    regression_pb2,
)

M = "half_plus_two"
SIGNATURES = {
    "serving_default",
    "classify_x_to_y",
    "regress_x_to_y",
    "regress_x_to_y2",
    "regress_x2_to_y3",
}


@pytest.fixture(scope="module")
def predictions(grpc_channel):
    return prediction_service_pb2_grpc.PredictionServiceStub(grpc_channel)


@pytest.fixture(scope="module")
def models(grpc_channel):
    return model_service_pb2_grpc.ModelServiceStub(grpc_channel)


def float_tensor(rows: list[list[float]]) -> tensor_pb2.TensorProto:
    """A DT_FLOAT TensorProto with typed `float_val`s, as most clients send."""
    shape = tensor_shape_pb2.TensorShapeProto(
        dim=[
            tensor_shape_pb2.TensorShapeProto.Dim(size=len(rows)),
            tensor_shape_pb2.TensorShapeProto.Dim(size=len(rows[0])),
        ]
    )
    return tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT,
        tensor_shape=shape,
        float_val=[v for row in rows for v in row],
    )


def predict_request(model: str = M, **inputs: tensor_pb2.TensorProto) -> predict_pb2.PredictRequest:
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    for alias, tensor in (inputs or {"x": float_tensor([[1.0], [2.0]])}).items():
        request.inputs[alias].CopyFrom(tensor)
    return request


def rpc_error(call, request) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        call(request, timeout=30)
    return raised.value


def test_predict_returns_typed_fields_and_the_resolved_model_spec(predictions):  # 30
    response = predictions.Predict(predict_request(), timeout=30)

    y = response.outputs["y"]
    assert y.dtype == types_pb2.DT_FLOAT
    assert list(y.float_val) == [2.5, 3.0]
    assert [d.size for d in y.tensor_shape.dim] == [2, 1]
    assert y.tensor_content == b""
    assert response.model_spec.name == M
    assert response.model_spec.version.value == 123
    assert response.model_spec.signature_name == "serving_default"


def test_predict_accepts_tensor_content(predictions):
    tensor = tf.make_tensor_proto(np.array([[3.0], [5.0]], dtype=np.float32))
    assert tensor.tensor_content

    response = predictions.Predict(predict_request(x=tensor), timeout=30)

    assert list(response.outputs["y"].float_val) == [3.5, 4.5]


def test_predict_by_version_and_output_filter(predictions):
    request = predict_request()
    request.model_spec.version.value = 123
    request.output_filter.append("y")

    response = predictions.Predict(request, timeout=30)

    assert list(response.outputs) == ["y"]
    assert response.model_spec.version.value == 123


def _with_signature(name: str) -> predict_pb2.PredictRequest:
    request = predict_request()
    request.model_spec.signature_name = name
    return request


def _with_version(version: int) -> predict_pb2.PredictRequest:
    request = predict_request()
    request.model_spec.version.value = version
    return request


def _with_label(label: str) -> predict_pb2.PredictRequest:
    request = predict_request()
    request.model_spec.version_label = label
    return request


def _with_filter(alias: str) -> predict_pb2.PredictRequest:
    request = predict_request()
    request.output_filter.append(alias)
    return request


@pytest.mark.parametrize(
    ("request_", "code", "fragment"),
    [
        pytest.param(
            predict_request("nope"),
            grpc.StatusCode.NOT_FOUND,
            "Servable not found for request: Latest(nope)",
            id="#31 unknown model",
        ),
        pytest.param(
            _with_signature("nope"),
            grpc.StatusCode.FAILED_PRECONDITION,
            'Serving signature key "nope" not found.',
            id="#31 unknown signature",
        ),
        pytest.param(
            predict_request(z=float_tensor([[1.0]])),
            grpc.StatusCode.INVALID_ARGUMENT,
            "Signature input alias: x(feed name: x:0) not found in request",
            id="#31 wrong alias",
        ),
        pytest.param(
            predict_request(x=float_tensor([[1.0]]), z=float_tensor([[1.0]])),
            grpc.StatusCode.INVALID_ARGUMENT,
            "input size does not match signature: 2!=1 len({x,z}) != len({x}). "
            "Sent extra: {z}. Missing but required: {}.",
            id="extra input",
        ),
        pytest.param(
            _with_version(999),
            grpc.StatusCode.NOT_FOUND,
            "Servable not found for request: Specific(half_plus_two, 999)",
            id="unknown version",
        ),
        pytest.param(
            _with_label("nolabel"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "Unrecognized servable version label: nolabel",
            id="unknown label",
        ),
        pytest.param(
            _with_filter("nope"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "output tensor alias not found in signature: nope Outputs expected to be in the "
            "set {y}.",
            id="bad output filter",
        ),
        pytest.param(
            predict_request(x=tf.make_tensor_proto(np.array([[1.0]], dtype=np.float64))),
            grpc.StatusCode.INVALID_ARGUMENT,
            "Expects arg[0] to be float but double is provided",
            id="wrong dtype",
        ),
        pytest.param(
            predict_pb2.PredictRequest(),
            grpc.StatusCode.INVALID_ARGUMENT,
            "Missing ModelSpec",
            id="no model spec",
        ),
    ],
)
def test_predict_errors(predictions, request_, code, fragment):
    error = rpc_error(predictions.Predict, request_)

    assert error.code() == code
    assert fragment in error.details()


def _metadata_request(*fields: str) -> get_model_metadata_pb2.GetModelMetadataRequest:
    request = get_model_metadata_pb2.GetModelMetadataRequest(metadata_field=list(fields))
    request.model_spec.name = M
    return request


def test_metadata_packs_the_signature_def_map(predictions):  # 32
    response = predictions.GetModelMetadata(_metadata_request("signature_def"), timeout=30)

    signature_map = get_model_metadata_pb2.SignatureDefMap()
    assert response.metadata["signature_def"].Unpack(signature_map)
    assert set(signature_map.signature_def) == SIGNATURES
    assert signature_map.signature_def["serving_default"].inputs["x"].name == "x:0"
    assert response.model_spec.name == M
    assert response.model_spec.version.value == 123


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        pytest.param((), "must specify at least one metadata_field", id="#32 no field"),
        pytest.param(("nope",), "Metadata field nope is not supported", id="unknown field"),
    ],
)
def test_metadata_rejects_bad_fields(predictions, fields, fragment):
    error = rpc_error(predictions.GetModelMetadata, _metadata_request(*fields))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in error.details()


def test_model_status(models):  # 32
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = M

    response = models.GetModelStatus(request, timeout=30)

    (status,) = response.model_version_status
    assert status.version == 123
    assert status.state == get_model_status_pb2.ModelVersionStatus.AVAILABLE
    assert status.status.error_code == 0


def test_model_status_of_unknown_model(models):
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "nope"

    error = rpc_error(models.GetModelStatus, request)

    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "Could not find any versions of model nope" in error.details()


def _examples_input(request, *xs: float, context_x: float | None = None) -> None:
    if context_x is None:
        examples = request.input.example_list.examples
    else:
        with_context = request.input.example_list_with_context
        with_context.context.features.feature["x"].float_list.value.append(context_x)
        examples = with_context.examples
    for x in xs:
        example = examples.add()
        if x is not None:
            example.features.feature["x"].float_list.value.append(x)


def test_classify(predictions):
    request = classification_pb2.ClassificationRequest()
    request.model_spec.name = M
    request.model_spec.signature_name = "classify_x_to_y"
    _examples_input(request, 20.0, 2.0)

    response = predictions.Classify(request, timeout=30)

    scores = [[(c.label, c.score) for c in r.classes] for r in response.result.classifications]
    assert scores == [[("", 12.0)], [("", 3.0)]]
    assert response.model_spec.signature_name == "classify_x_to_y"
    assert response.model_spec.version.value == 123


def test_regress_with_context(predictions):
    request = regression_pb2.RegressionRequest()
    request.model_spec.name = M
    request.model_spec.signature_name = "regress_x_to_y"
    _examples_input(request, None, 80.0, context_x=10.0)

    response = predictions.Regress(request, timeout=30)

    assert [r.value for r in response.result.regressions] == [7.0, 42.0]


@pytest.mark.parametrize(
    ("signature", "xs", "code", "fragment"),
    [
        pytest.param(
            "nope",
            (1.0,),
            grpc.StatusCode.INVALID_ARGUMENT,
            "No signature was found with the name: nope",
            id="unknown signature",
        ),
        pytest.param(  # #33: method names are not checked by default
            "serving_default",
            (1.0,),
            grpc.StatusCode.FAILED_PRECONDITION,
            "No regression inputs found in SignatureDef",
            id="predict signature",
        ),
        pytest.param(
            "regress_x_to_y", (), grpc.StatusCode.INVALID_ARGUMENT, "Input is empty.", id="empty"
        ),
    ],
)
def test_regress_errors(predictions, signature, xs, code, fragment):
    request = regression_pb2.RegressionRequest()
    request.model_spec.name = M
    request.model_spec.signature_name = signature
    _examples_input(request, *xs)

    error = rpc_error(predictions.Regress, request)

    assert error.code() == code
    assert fragment in error.details()


def test_multi_inference_runs_every_task_on_the_same_input(predictions):
    request = inference_pb2.MultiInferenceRequest()
    for signature, method in (
        ("classify_x_to_y", "tensorflow/serving/classify"),
        ("regress_x_to_y2", "tensorflow/serving/regress"),
    ):
        task = request.tasks.add(method_name=method)
        task.model_spec.name = M
        task.model_spec.signature_name = signature
    _examples_input(request, 4.0)

    response = predictions.MultiInference(request, timeout=30)

    classify, regress = response.results
    assert classify.classification_result.classifications[0].classes[0].score == 4.0
    assert regress.regression_result.regressions[0].value == 5.0
    assert regress.model_spec.signature_name == "regress_x_to_y2"


def test_multi_inference_of_a_predict_task_is_unimplemented(predictions):  # 34
    request = inference_pb2.MultiInferenceRequest()
    task = request.tasks.add(method_name="tensorflow/serving/predict")
    task.model_spec.name = M
    task.model_spec.signature_name = "serving_default"
    _examples_input(request, 4.0)

    error = rpc_error(predictions.MultiInference, request)

    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
    assert "Unsupported signature method_name: tensorflow/serving/predict" in error.details()
