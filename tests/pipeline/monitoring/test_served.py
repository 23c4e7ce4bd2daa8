"""Served inputs and outputs from PredictionLog records: REST/gRPC predict tensors and
tf.Examples alike, missing markers as missing values, TFDV statistics of them."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import input_pb2, prediction_log_pb2, regression_pb2

from pipeline.monitoring import predictions as P
from pipeline.monitoring import served as S
from serving import prediction_log


def _predict(fares, companies, hours, probabilities):
    spec = prediction_log.requested_spec("taxi", None, None, "")
    answered = prediction_log.requested_spec("taxi", 3, None, "serving_default")
    inputs = {
        "fare": np.array(fares, np.float32),
        "company": np.array(companies, object),
        "trip_start_hour": np.array(hours, np.int64),
    }
    outputs = {"p": np.array(probabilities, np.float32)}
    return prediction_log.rest_predict(spec, inputs, answered, outputs).record()


def _regress(fare: float):
    example = tf.train.Example()
    example.features.feature["fare"].float_list.value.append(fare)
    request = regression_pb2.RegressionRequest(
        input=input_pb2.Input(example_list=input_pb2.ExampleList(examples=[example]))
    )
    return prediction_log.from_grpc("regress", request, regression_pb2.RegressionResponse())


def test_rows_of_every_request_with_missing_markers_as_missing():
    records = [
        _predict([1.5, np.nan], [b"A", b""], [3, -1], [0.1, 0.9]),
        _regress(7.0),
    ]
    data = S.served(records)
    assert (data.requests, data.rows) == (2, 3)
    assert data.columns == {
        "fare": [[1.5], None, [7.0]],
        "company": [[b"A"], None, None],
        "trip_start_hour": [[3], None, None],
    }
    np.testing.assert_allclose(data.output("p"), [[0.1], [0.9]], rtol=1e-6)


def test_statistics_count_what_was_served():
    data = S.served([_predict([1.0, 2.0, np.nan], [b"A", b"B", b"A"], [1, 2, 3], [0, 0, 0])])
    stats = S.statistics(data).datasets[0]
    assert stats.num_examples == 3
    features = {f.path.step[0]: f for f in stats.features}
    assert features["fare"].num_stats.common_stats.num_non_missing == 2
    assert features["fare"].num_stats.max == 2.0
    assert features["company"].string_stats.unique == 2
    assert features["trip_start_hour"].num_stats.mean == 2.0


def test_an_empty_record_is_not_a_request():
    assert S.served([prediction_log_pb2.PredictionLog()]).requests == 0


def test_same_predictions_are_at_distance_zero_and_moved_ones_are_over():
    rng = np.random.default_rng(0)
    reference = rng.beta(2, 5, size=(2000, 1))
    same = P.compare("p", reference[:1000], reference[1000:], buckets=10, threshold=0.2)
    assert same.distance < 0.1 and not same.over
    assert sum(same.served) == pytest.approx(1) and sum(same.eval) == pytest.approx(1)
    assert len(same.edges) == 11 == len(same.labels)

    moved = P.compare("p", 1 - reference[:1000], reference[1000:], buckets=10, threshold=0.2)
    assert moved.over and moved.distance > 0.5


def test_class_probabilities_are_compared_by_most_likely_class():
    served = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    reference = np.array([[0.1, 0.9], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    result = P.compare("probabilities", served, reference, buckets=10, threshold=0.2)
    assert result.served == [0.75, 0.25] and result.eval == [0.25, 0.75]
    assert result.over
