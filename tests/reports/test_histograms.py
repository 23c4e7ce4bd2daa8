"""Series of one chart are re-binned onto the same bucket edges, as the data gate measures."""

from __future__ import annotations

import pytest
from statistics_protos import numeric_feature
from tensorflow_metadata.proto.v0 import statistics_pb2

from reports import histograms

QUANTILES = statistics_pb2.Histogram.QUANTILES
STANDARD = statistics_pb2.Histogram.STANDARD


def test_a_buckets_rows_are_spread_evenly_over_its_width():
    assert histograms.rebin([(0, 10, 100)], [0, 5, 10]) == [0.5, 0.5]
    assert histograms.rebin([(0, 10, 100)], [0, 2, 10]) == pytest.approx([0.2, 0.8])


def test_a_zero_width_bucket_goes_whole_to_the_bucket_holding_its_value():
    # TFDV's quantile buckets collapse onto a value held by many rows.
    shares = histograms.rebin([(3, 3, 10), (0, 10, 10)], [0, 5, 10])
    assert shares == pytest.approx([0.75, 0.25])
    # The last bucket holds its high edge.
    assert histograms.rebin([(10, 10, 4)], [0, 5, 10]) == [0.0, 1.0]


def test_rows_beyond_the_edges_go_to_the_first_and_last_bucket():
    shares = histograms.rebin([(-10, 0, 1), (0, 10, 2), (10, 40, 1)], [0, 5, 10])
    assert shares == pytest.approx([0.5, 0.5])
    assert sum(shares) == pytest.approx(1)


def test_the_gate_compares_long_tailed_features_on_quantiles():
    assert histograms.gate_histogram(long_tailed=True) == QUANTILES
    assert histograms.gate_histogram(long_tailed=False) == STANDARD


def test_splits_with_different_ranges_share_equal_width_edges_over_both():
    short = numeric_feature("hour", STANDARD=[(0, 5, 50), (5, 10, 50)])
    wide = numeric_feature("hour", STANDARD=[(0, 50, 50), (50, 100, 50)])

    edges, series = histograms.overlay(
        {"train": short, "eval": wide}, long_tailed=False, reference="train", buckets=10
    )

    assert edges == pytest.approx([10 * i for i in range(11)])
    # Train's rows all lie in the first tenth of the common range: drawn on its own
    # buckets it would look as flat as eval.
    assert series["train"] == pytest.approx([1.0] + [0.0] * 9)
    assert series["eval"] == pytest.approx([0.1] * 10)


def test_long_tailed_features_share_the_references_quantile_edges():
    # Train: a fare of 700 stretches its last bucket; eval stops at 50.
    train = numeric_feature(
        "fare",
        QUANTILES=[(0, 5, 25), (5, 10, 25), (10, 20, 25), (20, 700, 25)],
        STANDARD=[(0, 70, 99), (630, 700, 1)],
    )
    eval_ = numeric_feature(
        "fare",
        QUANTILES=[(0, 10, 25), (10, 15, 25), (15, 30, 25), (30, 50, 25)],
        STANDARD=[(0, 5, 50), (45, 50, 50)],
    )

    edges, series = histograms.overlay(
        {"train": train, "eval": eval_}, long_tailed=True, reference="train"
    )

    assert edges == [0, 5, 10, 20, 700]
    assert series["train"] == pytest.approx([0.25] * 4)
    assert series["eval"] == pytest.approx([0.125, 0.125, 0.25 + 0.25 / 3, 0.5 - 0.25 / 3])


def test_repeated_quantile_boundaries_collapse_into_one_edge():
    # A value held by half the rows: two quantile buckets of zero width.
    reference = [(1, 1, 25), (1, 1, 25), (1, 8, 25), (8, 77, 25)]
    assert histograms.quantile_edges(reference) == [1, 8, 77]
    assert histograms.rebin(reference, [1, 8, 77]) == pytest.approx([0.75, 0.25])


def test_a_dataset_without_the_histogram_is_left_out():
    with_values = numeric_feature("tips", STANDARD=[(0, 1, 3)])
    empty = numeric_feature("tips")

    edges, series = histograms.overlay(
        {"train": with_values, "eval": empty}, long_tailed=False, reference="train", buckets=2
    )

    assert list(series) == ["train"]
    assert edges == [0, 0.5, 1] and series["train"] == pytest.approx([0.5, 0.5])
