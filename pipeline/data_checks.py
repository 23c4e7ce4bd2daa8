"""How far one feature's distribution moved between two sets of statistics.

Used for train/eval skew and for drift from the last accepted data, by the
data gate and by the reports. Both read the statistics StatisticsGen wrote.

- Text features: TFDV's L-infinity comparator (the largest change in any
  category's share of the rows).
- Numbers: the shift of the median, in interquartile ranges of the
  reference data. TFDV's numeric Jensen-Shannon comparator works on
  equal-width histograms, which the taxi data's long tails make useless:
  two random halves of the same sample differ by 0.33 on `fare` and 0.77 on
  `trip_miles`. The median and quartiles come from TFDV's own quantiles.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow_data_validation as tfdv
from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2, statistics_pb2

from models import features
from pipeline.config import DriftThresholds

LINF = "L-infinity distance"
MEDIAN_SHIFT = "median shift (IQRs)"


@dataclasses.dataclass(frozen=True)
class Change:
    """One feature's measured change from reference to current data."""

    feature: str
    measure: str
    value: float
    threshold: float
    description: str

    @property
    def exceeded(self) -> bool:
        return self.value > self.threshold


def compared_features() -> tuple[str, ...]:
    """Raw columns whose distribution matters: model inputs and the label's source."""
    return (*features.raw_model_features(), features.TIPS_KEY)


def _by_name(
    stats: statistics_pb2.DatasetFeatureStatisticsList,
) -> dict[str, statistics_pb2.FeatureNameStatistics]:
    dataset = stats.datasets[0] if stats.datasets else statistics_pb2.DatasetFeatureStatistics()
    return {".".join(f.path.step) or f.name: f for f in dataset.features}


def _quantile(feature: statistics_pb2.FeatureNameStatistics, q: float) -> float | None:
    histograms = [
        h
        for h in feature.num_stats.histograms
        if h.type == statistics_pb2.Histogram.QUANTILES and h.buckets
    ]
    if not histograms:
        return None
    buckets = histograms[0].buckets
    counts = np.cumsum([0.0, *(b.sample_count for b in buckets)])
    if counts[-1] <= 0:
        return None
    edges = [buckets[0].low_value, *(b.high_value for b in buckets)]
    return float(np.interp(q * counts[-1], counts, edges))


def median_shift(
    current: statistics_pb2.FeatureNameStatistics,
    reference: statistics_pb2.FeatureNameStatistics,
) -> tuple[float, str] | None:
    """|median change| / reference IQR, and a sentence saying so; None without numbers."""
    now, before = _quantile(current, 0.5), _quantile(reference, 0.5)
    q1, q3 = _quantile(reference, 0.25), _quantile(reference, 0.75)
    if now is None or before is None or q1 is None or q3 is None:
        return None
    # A constant feature has no spread; fall back to its standard deviation, then to 1.
    scale = (q3 - q1) or reference.num_stats.std_dev or 1.0
    value = abs(now - before) / scale
    return value, f"median moved from {before:.4g} to {now:.4g} ({value:.2f} IQRs of {scale:.4g})"


def _linf_changes(
    current: statistics_pb2.DatasetFeatureStatisticsList,
    reference: statistics_pb2.DatasetFeatureStatisticsList,
    schema: schema_pb2.Schema,
    names: list[str],
    threshold: float,
) -> list[Change]:
    schema = schema_pb2.Schema.FromString(schema.SerializeToString())
    for feature in schema.feature:
        if feature.name in names:
            feature.drift_comparator.infinity_norm.threshold = threshold
    anomalies = tfdv.validate_statistics(current, schema, previous_statistics=reference)
    changes = []
    for info in anomalies.drift_skew_info:
        name = ".".join(info.path.step)
        for m in info.drift_measurements:
            changes.append(
                Change(name, LINF, m.value, threshold, _linf_reason(anomalies, name, m.value))
            )
    return changes


def _linf_reason(anomalies: anomalies_pb2.Anomalies, name: str, value: float) -> str:
    """TFDV's sentence for the comparator only (it names the category that moved most)."""
    info = anomalies.anomaly_info.get(name)
    reasons = [
        r.description
        for r in (info.reason if info else [])
        if r.type == anomalies_pb2.AnomalyInfo.COMPARATOR_L_INFTY_HIGH
    ]
    return reasons[0] if reasons else f"largest change in a category's share: {value:.3f}"


def compare(
    current: statistics_pb2.DatasetFeatureStatisticsList,
    reference: statistics_pb2.DatasetFeatureStatisticsList,
    schema: schema_pb2.Schema,
    thresholds: DriftThresholds,
) -> list[Change]:
    """Every compared feature's change from `reference` to `current`, exceeded or not.

    For skew, `reference` is the training split and `current` another split;
    for drift, `reference` is the last accepted data's training split.
    """
    types = {f.name: f.type for f in schema.feature}
    wanted = [n for n in compared_features() if n in types]
    text = [n for n in wanted if types[n] == schema_pb2.BYTES]
    changes = _linf_changes(current, reference, schema, text, thresholds.categorical_linf)
    now, before = _by_name(current), _by_name(reference)
    for name in wanted:
        if name in text or name not in now or name not in before:
            continue
        shift = median_shift(now[name], before[name])
        if shift is not None:
            value, description = shift
            changes.append(
                Change(name, MEDIAN_SHIFT, value, thresholds.numeric_median_shift, description)
            )
    return sorted(changes, key=lambda c: (-c.value / (c.threshold or 1), c.feature))
