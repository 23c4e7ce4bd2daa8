"""Per-feature statistics of each split, from StatisticsGen's TFDV output."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from tensorflow_metadata.proto.v0 import statistics_pb2

from pipeline import steps
from pipeline.components.standard_outputs import statistics_by_split
from pipeline.metadata.run import Run
from reports import chart_cache, charts
from reports.section import Section

TOP_VALUES = 5

_TYPES = {
    statistics_pb2.FeatureNameStatistics.INT: "INT",
    statistics_pb2.FeatureNameStatistics.FLOAT: "FLOAT",
    statistics_pb2.FeatureNameStatistics.STRING: "STRING",
    statistics_pb2.FeatureNameStatistics.BYTES: "BYTES",
    statistics_pb2.FeatureNameStatistics.STRUCT: "STRUCT",
}


def load(run: Run) -> dict[str, statistics_pb2.DatasetFeatureStatisticsList]:
    """Split name -> TFDV statistics of this run's StatisticsGen; empty if it has none."""
    artifact = run.output(steps.STATISTICS_GEN, "statistics")
    return statistics_by_split(artifact) if artifact is not None else {}


def dataset(statistics: statistics_pb2.DatasetFeatureStatisticsList):
    """The statistics of all examples (TFDV's default slice)."""
    return statistics.datasets[0]


def row_counts(run: Run) -> dict[str, int]:
    """Split name -> number of examples, as StatisticsGen counted them."""
    return {split: dataset(stats).num_examples for split, stats in load(run).items()}


def feature_name(feature: statistics_pb2.FeatureNameStatistics) -> str:
    """A feature's name, whichever of `name` and `path` TFDV filled in."""
    return ".".join(feature.path.step) or feature.name


def _common(feature):
    kind = feature.WhichOneof("stats")
    return getattr(feature, kind).common_stats if kind else statistics_pb2.CommonStatistics()


def missing_share(feature, num_examples: int) -> float:
    """Share of rows without a value.

    CsvExampleGen writes an empty CSV cell as an empty value list, which TFDV
    counts as present (`num_non_missing`); for single-valued features the rows
    that really hold a value are `tot_num_values`.
    """
    if not num_examples:
        return 0.0
    common = _common(feature)
    present = common.tot_num_values if common.max_num_values <= 1 else common.num_non_missing
    return 1.0 - present / num_examples


def feature_table(statistics: statistics_pb2.DatasetFeatureStatisticsList) -> pd.DataFrame:
    """One row per feature: type, count, missing %, numeric summary or top values."""
    data = dataset(statistics)
    rows = []
    for feature in sorted(data.features, key=feature_name):
        common = _common(feature)
        row = {
            "feature": feature_name(feature),
            "type": _TYPES.get(feature.type, str(feature.type)),
            "count": int(common.tot_num_values),
            "missing %": round(100 * missing_share(feature, data.num_examples), 2),
        }
        if feature.HasField("num_stats"):
            num = feature.num_stats
            row.update(mean=num.mean, std=num.std_dev, min=num.min, median=num.median, max=num.max)
            row["zeros %"] = round(100 * num.num_zeros / max(data.num_examples, 1), 2)
        elif feature.HasField("string_stats"):
            string = feature.string_stats
            row["unique"] = int(string.unique)
            row["top values"] = ", ".join(
                f"{v.value} ({int(v.frequency)})" for v in string.top_values[:TOP_VALUES]
            )
        rows.append(row)
    columns = ["feature", "type", "count", "missing %", "mean", "std", "min", "median", "max"]
    columns += ["zeros %", "unique", "top values"]
    return pd.DataFrame(rows).reindex(columns=columns)


def _buckets(feature, num_examples: int) -> list[charts.Bucket]:
    standard = statistics_pb2.Histogram.STANDARD
    for histogram in feature.num_stats.histograms:
        if histogram.type == standard:
            total = num_examples or 1
            return [(b.low_value, b.high_value, b.sample_count / total) for b in histogram.buckets]
    return []


def _shares(feature, num_examples: int) -> dict[str, float]:
    total = num_examples or 1
    return {v.value: v.frequency / total for v in feature.string_stats.top_values}


def feature_charts(
    statistics: dict[str, statistics_pb2.DatasetFeatureStatisticsList],
    draw: Callable[..., str],
) -> list:
    """One SVG per feature: histograms (numbers) or top-value bars (strings), splits overlaid.

    `draw(chart, *args)` renders each one (`chart_cache.drawer` reuses kept SVGs).
    """
    by_feature: dict[str, dict[str, tuple]] = {}
    for split, stats in statistics.items():
        data = dataset(stats)
        for feature in data.features:
            by_feature.setdefault(feature_name(feature), {})[split] = (feature, data.num_examples)
    svgs = []
    for name in sorted(by_feature):
        per_split = by_feature[name]
        if all(f.HasField("num_stats") for f, _ in per_split.values()):
            series = {split: _buckets(f, n) for split, (f, n) in per_split.items()}
            if any(series.values()):
                svgs.append(draw(charts.histogram, series, name))
        elif all(f.HasField("string_stats") for f, _ in per_split.values()):
            series = {split: _shares(f, n) for split, (f, n) in per_split.items()}
            svgs.append(draw(charts.top_values, series, name))
    return svgs


def report(run: Run, *, with_charts: bool = True) -> Section:
    """Rows per split, a statistics table per split, and a chart per feature."""
    section = Section("Statistics", "statistics")
    statistics = load(run)
    if not statistics:
        section.not_produced(run.why_missing(steps.STATISTICS_GEN, "statistics"))
        return section
    counts = pd.DataFrame(
        [{"split": s, "rows": dataset(stats).num_examples} for s, stats in statistics.items()]
    )
    section.note(
        "Look for: missing values in required columns, impossible minimums or maximums, "
        "a split whose distribution differs from the others."
    )
    section.table("rows", counts)
    for split, stats in statistics.items():
        section.heading(f"Split {split}")
        section.table(split, feature_table(stats))
    if with_charts:
        section.heading("Distributions (share of rows; splits overlaid)")
        section.charts(feature_charts(statistics, chart_cache.drawer(run.pipeline_root)))
    return section
