"""PredictionLog records: dropped columns, and the version that answered."""

from __future__ import annotations

import numpy as np
from tensorflow_serving.apis import inference_pb2, regression_pb2

from serving import prediction_log


def _spec(version=None):
    return prediction_log.requested_spec("m", version, None, "serving_default")


def test_dropped_tensor_inputs_are_removed_and_the_rest_kept():
    arrays = {name: np.array([1.0], np.float32) for name in ("email", "fare", "tips")}
    record = prediction_log.rest_predict(_spec(), arrays, _spec(7), {"y": arrays["fare"]}).record()
    prediction_log.drop_columns(record, ["email", "not_sent"])

    assert set(record.predict_log.request.inputs) == {"fare", "tips"}
    assert set(record.predict_log.response.outputs) == {"y"}  # outputs are kept


def test_dropped_features_leave_the_examples_and_their_context():
    request = regression_pb2.RegressionRequest()
    with_context = request.input.example_list_with_context
    for example in (with_context.context, with_context.examples.add()):
        for name in ("email", "fare"):
            example.features.feature[name].float_list.value.append(1.0)
    record = prediction_log.from_grpc("regress", request, regression_pb2.RegressionResponse())
    prediction_log.drop_columns(record, ["email"])

    logged = record.regress_log.request.input.example_list_with_context
    assert set(logged.context.features.feature) == {"fare"}
    assert [set(e.features.feature) for e in logged.examples] == [{"fare"}]
    assert set(request.input.example_list_with_context.context.features.feature) == {
        "email",
        "fare",
    }  # the client's request itself is untouched


def test_metadata_names_the_version_that_answered_multi_inference():
    response = inference_pb2.MultiInferenceResponse()
    for signature in ("a", "b"):
        result = response.results.add()
        result.model_spec.name = "m"
        result.model_spec.version.value = 9
        result.model_spec.signature_name = signature
    record = prediction_log.from_grpc(
        "multi_inference", inference_pb2.MultiInferenceRequest(), response
    )
    spec = prediction_log.fill_metadata(record, 0.5, 1700000000)

    assert (spec.name, spec.version.value, spec.signature_name) == ("m", 9, "")
    assert record.log_metadata.sampling_config.sampling_rate == 0.5
    assert list(record.log_metadata.saved_model_tags) == ["serve"]
    assert record.log_metadata.timestamp_secs == 1700000000
