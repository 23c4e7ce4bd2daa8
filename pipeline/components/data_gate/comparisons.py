"""Skew and drift between two sets of TFDV statistics, with TFDV's own comparators.

`compare_statistics` is pure: it reads no file and leaves the caller's schema
untouched, so the data gate and the run report's drift section share it.
"""

from __future__ import annotations

from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2, statistics_pb2

from pipeline.config import DriftThresholds

# The anomaly types the comparators raise (the rest are schema anomalies).
COMPARATOR_ANOMALY_TYPES = frozenset(
    {
        anomalies_pb2.AnomalyInfo.COMPARATOR_L_INFTY_HIGH,
        anomalies_pb2.AnomalyInfo.COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH,
    }
)


def _comparator(feature: schema_pb2.Feature, thresholds: DriftThresholds, long_tailed: bool):
    comparator = schema_pb2.FeatureComparator()
    if feature.type == schema_pb2.BYTES:
        # TFDV keeps value counts for strings: compare each value's share.
        comparator.infinity_norm.threshold = thresholds.categorical_l_infinity
        return comparator
    jsd = comparator.jensen_shannon_divergence
    jsd.threshold = thresholds.numeric_jensen_shannon
    jsd.source.type = histogram_type(long_tailed)
    return comparator


def histogram_type(long_tailed: bool) -> schema_pb2.HistogramSelection.Type:
    """The TFDV histogram a numeric feature is compared on (the run report draws the same)."""
    if long_tailed:
        # Equal-width buckets span each dataset's own min..max, so one long
        # trip reshapes every bucket; quantile buckets follow the bulk.
        return schema_pb2.HistogramSelection.QUANTILES
    # Codes and coordinates (community-area centroids) take few distinct
    # values: quantile boundaries collapse on them and make two random
    # halves look apart, while equal-width buckets over a bounded range
    # line up.
    return schema_pb2.HistogramSelection.STANDARD


def compare_statistics(
    statistics: statistics_pb2.DatasetFeatureStatisticsList,
    schema: schema_pb2.Schema,
    *,
    previous: statistics_pb2.DatasetFeatureStatisticsList | None = None,
    serving: statistics_pb2.DatasetFeatureStatisticsList | None = None,
    thresholds: DriftThresholds = DriftThresholds(),
    compared: tuple[str, ...] = (),
    long_tailed: tuple[str, ...] = (),
) -> anomalies_pb2.Anomalies:
    """Validate `statistics` against `schema`, plus drift from `previous` and skew from `serving`.

    Every `compared` column gets a drift comparator (when
    `previous` is given) and a skew comparator (when `serving` is given) on a
    copy of `schema`. The result holds the schema anomalies, comparator
    anomalies (types in `COMPARATOR_ANOMALY_TYPES`) and, in
    `drift_skew_info`, every measurement with its threshold, including the
    ones under the bar.
    """
    import tensorflow_data_validation as tfdv

    checked = schema_pb2.Schema()
    checked.CopyFrom(schema)
    wanted, tails = set(compared), set(long_tailed)
    for feature in checked.feature:
        if feature.name not in wanted:
            continue
        comparator = _comparator(feature, thresholds, feature.name in tails)
        if previous is not None:
            feature.drift_comparator.CopyFrom(comparator)
        if serving is not None:
            feature.skew_comparator.CopyFrom(comparator)
    return tfdv.validate_statistics(
        statistics, checked, previous_statistics=previous, serving_statistics=serving
    )


def comparator_anomalies(anomalies: anomalies_pb2.Anomalies) -> dict[str, str]:
    """Feature -> description of the skew and drift anomalies in `anomalies` only."""
    found = {}
    for feature, info in anomalies.anomaly_info.items():
        reasons = [r.description for r in info.reason if r.type in COMPARATOR_ANOMALY_TYPES]
        if reasons:
            found[feature] = " ".join(reasons)
    return found
