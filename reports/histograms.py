"""Histograms of several datasets on one set of bucket edges, from TFDV statistics.

TFDV gives every dataset buckets of its own (equal-width over its own min..max,
or its own quantiles), so drawn side by side a split with a long tail looks
flat next to one without. Here every series is re-binned onto the same edges,
chosen as the data gate measures the feature: on the reference's quantiles for
long-tailed features, on equal-width buckets over the common range otherwise.
Re-binning assumes the rows of a TFDV bucket are spread evenly inside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tensorflow_metadata.proto.v0 import schema_pb2, statistics_pb2

from pipeline.components.data_gate.comparisons import histogram_type

# As many buckets as TFDV's default histograms have.
DEFAULT_BUCKETS = 10

Count = tuple[float, float, float]  # (low, high, rows) of one TFDV bucket


def tfdv_buckets(feature: statistics_pb2.FeatureNameStatistics, kind: int) -> list[Count]:
    """The buckets of `feature`'s numeric histogram of type `kind` (statistics_pb2.Histogram)."""
    for histogram in feature.num_stats.histograms:
        if histogram.type == kind:
            return [(b.low_value, b.high_value, b.sample_count) for b in histogram.buckets]
    return []


def gate_histogram(long_tailed: bool) -> int:
    """The statistics_pb2.Histogram type the data gate compares a feature on."""
    selection = schema_pb2.HistogramSelection.Type.Name(histogram_type(long_tailed))
    return statistics_pb2.Histogram.HistogramType.Value(selection)


def equal_width_edges(series: Sequence[Sequence[Count]], buckets: int) -> list[float]:
    """`buckets` equal-width buckets from the smallest to the largest value of any series."""
    lows = [s[0][0] for s in series if s]
    highs = [s[-1][1] for s in series if s]
    if not lows:
        return []
    low, high = min(lows), max(highs)
    if high <= low:
        return [low, low]
    step = (high - low) / buckets
    return [low + i * step for i in range(buckets)] + [high]


def quantile_edges(reference: Sequence[Count]) -> list[float]:
    """The distinct boundaries of a quantile histogram; repeated ones (a value held by
    more than a bucket's share of rows) collapse into one edge."""
    edges = sorted({b[0] for b in reference} | {b[1] for b in reference})
    return edges if len(edges) > 1 else edges * 2


def rebin(counts: Sequence[Count], edges: Sequence[float]) -> list[float]:
    """The share of `counts`' rows in each bucket between consecutive `edges`.

    A bucket's rows are spread evenly over its width; a zero-width bucket (one
    repeated value) goes whole to the bucket holding its value. Rows outside
    the edges go to the first or last bucket, so shares always sum to 1.
    """
    shares = [0.0] * (len(edges) - 1)
    total = sum(rows for _, _, rows in counts)
    if not shares or not total:
        return shares
    for low, high, rows in counts:
        if high <= low:
            shares[_bucket_of(low, edges)] += rows / total
            continue
        for i in range(len(shares)):
            overlap = min(high, edges[i + 1]) - max(low, edges[i])
            if overlap > 0:
                shares[i] += rows / total * overlap / (high - low)
        below = max(0.0, min(high, edges[0]) - low)
        above = max(0.0, high - max(low, edges[-1]))
        shares[0] += rows / total * below / (high - low)
        shares[-1] += rows / total * above / (high - low)
    return shares


def _bucket_of(value: float, edges: Sequence[float]) -> int:
    # Buckets hold their low edge; the last one its high edge too.
    for i in range(len(edges) - 2, -1, -1):
        if value >= edges[i]:
            return i
    return 0


def overlay(
    features: Mapping[str, statistics_pb2.FeatureNameStatistics],
    *,
    long_tailed: bool,
    reference: str,
    buckets: int = DEFAULT_BUCKETS,
) -> tuple[list[float], dict[str, list[float]]]:
    """(edges, series name -> share of rows per bucket) of one numeric feature in each
    dataset of `features`, all on the same edges.

    Long-tailed features get the quantile edges of the `reference` dataset (the
    one others are judged against: the train split, the accepted data).
    """
    kind = gate_histogram(long_tailed)
    counts = {name: tfdv_buckets(f, kind) for name, f in features.items()}
    counts = {name: c for name, c in counts.items() if c}
    if not counts:
        return [], {}
    if long_tailed and counts.get(reference):
        edges = quantile_edges(counts[reference])
    else:
        edges = equal_width_edges(list(counts.values()), buckets)
    return edges, {name: rebin(c, edges) for name, c in counts.items()}
