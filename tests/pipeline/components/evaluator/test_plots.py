"""The overall slice's curves, read from the calibration histogram the Evaluator writes."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.components.evaluator import plots

# Buckets of predicted probability: examples and positives in each.
HISTOGRAM = pd.DataFrame(
    {
        "lower": [0.0, 0.25, 0.5, 0.75],
        "upper": [0.25, 0.5, 0.75, 1.0],
        "examples": [40.0, 20.0, 20.0, 20.0],
        "mean_prediction": [0.1, 0.4, 0.6, 0.9],
        "share_positive": [0.0, 0.25, 0.75, 1.0],
    }
)


def test_the_curve_is_the_confusion_matrix_at_each_buckets_lower_bound():
    curve = plots.curve(HISTOGRAM)

    # 40 positives (0 + 5 + 15 + 20), 60 negatives; from the highest threshold down.
    assert curve["threshold"].tolist() == [math.inf, 0.75, 0.5, 0.25, 0.0]
    assert curve["true_positives"].tolist() == [0, 20, 35, 40, 40]
    assert curve["false_positives"].tolist() == [0, 0, 5, 20, 60]
    assert curve["recall"].tolist() == pytest.approx([0, 0.5, 0.875, 1, 1])
    assert curve["false_positive_rate"].tolist() == pytest.approx([0, 0, 5 / 60, 20 / 60, 1])
    assert curve["precision"].tolist()[1:] == pytest.approx([1, 35 / 40, 40 / 60, 0.4])
    assert math.isnan(curve["precision"][0])  # nothing predicted positive


def test_the_calibration_chart_gets_coarser_buckets_weighted_by_examples():
    coarse = plots.coarser(HISTOGRAM, count=2)

    assert coarse["lower"].tolist() == [0.0, 0.5]
    assert coarse["examples"].tolist() == [60.0, 40.0]
    assert coarse["share_positive"].tolist() == pytest.approx([5 / 60, 35 / 40])
    assert coarse["mean_prediction"].tolist() == pytest.approx([(4 + 8) / 60, (12 + 18) / 40])


def test_buckets_without_examples_are_left_out_of_the_histogram():
    from tensorflow_model_analysis.proto import metrics_for_slice_pb2

    histogram = metrics_for_slice_pb2.CalibrationHistogramBuckets()
    empty = histogram.buckets.add(lower_threshold_inclusive=-math.inf)
    empty.upper_threshold_exclusive = 0.0
    bucket = histogram.buckets.add(lower_threshold_inclusive=0.0, upper_threshold_exclusive=0.5)
    bucket.num_weighted_examples.value = 10
    bucket.total_weighted_label.value = 3
    bucket.total_weighted_refined_prediction.value = 2.5

    read = plots.buckets(histogram)

    assert read.to_dict("records") == [
        {
            "lower": 0.0,
            "upper": 0.5,
            "examples": 10.0,
            "mean_prediction": 0.25,
            "share_positive": 0.3,
        }
    ]
