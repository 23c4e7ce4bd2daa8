"""TFDV statistics protos built by hand, for tests of what reads them."""

from __future__ import annotations

from tensorflow_metadata.proto.v0 import statistics_pb2

INT = statistics_pb2.FeatureNameStatistics.INT
FLOAT = statistics_pb2.FeatureNameStatistics.FLOAT

Buckets = list[tuple[float, float, float]]  # (low, high, rows)


def add_histograms(feature: statistics_pb2.FeatureNameStatistics, kinds: dict[str, Buckets]):
    """Histograms of `feature` by kind name ("STANDARD", "QUANTILES")."""
    for kind, buckets in kinds.items():
        kind_value = statistics_pb2.Histogram.HistogramType.Value(kind)
        histogram = feature.num_stats.histograms.add(type=kind_value)
        for low, high, rows in buckets:
            histogram.buckets.add(low_value=low, high_value=high, sample_count=rows)


def numeric_feature(name: str, **kinds: Buckets) -> statistics_pb2.FeatureNameStatistics:
    """A FLOAT feature with the given histograms."""
    feature = statistics_pb2.FeatureNameStatistics(name=name, type=FLOAT)
    add_histograms(feature, kinds)
    return feature


def split(rows: int, **features) -> statistics_pb2.DatasetFeatureStatisticsList:
    """One split of `rows` examples. Each feature is (type, {histogram kind: buckets}) for
    numbers, or [(value, frequency), ...] for strings."""
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    data = stats.datasets.add(num_examples=rows)
    for name, spec in features.items():
        feature = data.features.add(name=name)
        if isinstance(spec, list):
            feature.type = statistics_pb2.FeatureNameStatistics.STRING
            for value, frequency in spec:
                feature.string_stats.top_values.add(value=value, frequency=frequency)
            continue
        feature.type, kinds = spec
        add_histograms(feature, kinds)
    return stats


def summarized(rows: int, **features) -> statistics_pb2.DatasetFeatureStatisticsList:
    """One split of `rows` examples; each feature is (type, rows with a value, mean, std,
    min, median, max), single-valued, as TFDV summarizes numbers."""
    stats = statistics_pb2.DatasetFeatureStatisticsList()
    data = stats.datasets.add(num_examples=rows)
    for name, (kind, count, mean, std, low, median, high) in features.items():
        feature = data.features.add(name=name, type=kind)
        num = feature.num_stats
        num.common_stats.num_non_missing = count
        num.common_stats.tot_num_values = count
        num.common_stats.max_num_values = 1 if count else 0
        num.mean, num.std_dev, num.min, num.median, num.max = mean, std, low, median, high
    return stats
