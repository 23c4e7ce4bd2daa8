"""Per-feature statistics of each split, from StatisticsGen's TFDV output."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
from tensorflow_metadata.proto.v0 import statistics_pb2

from pipeline import steps
from pipeline.components.standard_outputs import statistics_by_split
from pipeline.config import GateConfig
from pipeline.metadata.run import Run
from reports import chart_cache, charts, formatting, histograms
from reports.section import Section, format_number

TOP_VALUES = 5
# A column missing in more than this share of the rows is highlighted.
MOSTLY_MISSING = 0.5
_SUMMARIES = ("mean", "std", "min", "median", "max")
# The split other splits are judged against (the data gate measures skew of train).
REFERENCE_SPLIT = "train"

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
        if feature.HasField("num_stats") and row["count"]:
            # Without values TFDV writes 0 for every summary: left empty, not measured.
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


def mostly_missing(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of `feature_table` missing in more than MOSTLY_MISSING of the rows."""
    return table[table["missing %"] > 100 * MOSTLY_MISSING]


def readable_table(table: pd.DataFrame, time_feature: str | None = None) -> pd.DataFrame:
    """`feature_table` written for reading: codes as codes, the time feature as UTC dates,
    and "—" instead of a summary of a feature without values."""
    shown = table.astype(object)
    for i, row in table.iterrows():
        if not row["count"]:
            shown.loc[i, [*_SUMMARIES, "zeros %", "unique"]] = formatting.NOT_MEASURED
            continue
        kind = formatting.role(
            row["feature"], integer=row["type"] == "INT", time_feature=time_feature
        )
        for statistic in _SUMMARIES:
            shown.loc[i, statistic] = formatting.summary(statistic, row[statistic], kind)
    for column in ("count", "missing %", "zeros %", "unique"):
        shown[column] = [
            v if isinstance(v, str) else "" if pd.isna(v) else format_number(v)
            for v in shown[column]
        ]
    return shown


def _shares(feature, num_examples: int) -> dict[str, float]:
    total = num_examples or 1
    return {v.value: v.frequency / total for v in feature.string_stats.top_values}


def _shown_first(shares: dict[str, float], limit: int) -> dict[str, float]:
    """The `limit` most frequent values, in natural order when they are numbers (hours)."""
    top = list(shares)[:limit]
    return {v: shares[v] for v in formatting.natural_order(top) or top}


def features_of(
    statistics: statistics_pb2.DatasetFeatureStatisticsList,
) -> dict[str, tuple[statistics_pb2.FeatureNameStatistics, int]]:
    """Feature name -> (its statistics, the dataset's rows), as `overlay_chart` takes them."""
    data = dataset(statistics)
    return {feature_name(f): (f, data.num_examples) for f in data.features}


def _is_integer(feature: statistics_pb2.FeatureNameStatistics) -> bool:
    return feature.type == statistics_pb2.FeatureNameStatistics.INT


def overlay_chart(
    name: str,
    per_series: Mapping[str, tuple[statistics_pb2.FeatureNameStatistics, int]],
    draw: Callable[..., str],
    *,
    gate: GateConfig,
    reference: str,
    title: str | None = None,
) -> str | None:
    """One feature of several datasets on one chart, or None if there is nothing to draw.

    `per_series` maps a series name to (the feature's statistics, rows). Numbers
    share the bucket edges the data gate measures on (`reports.histograms`),
    judged against `reference`; strings share the reference's most frequent values.
    """
    features = [f for f, _ in per_series.values()]
    if all(f.HasField("num_stats") for f in features):
        edges, series = histograms.overlay(
            {s: f for s, (f, _) in per_series.items()},
            long_tailed=name in gate.long_tailed,
            reference=reference,
        )
        if not series:
            return None
        kind = formatting.role(
            name, integer=all(map(_is_integer, features)), time_feature=gate.time_feature
        )
        quantiles = name in gate.long_tailed and reference in series
        buckets = f"quantile buckets of {reference}" if quantiles else "equal-width buckets"
        labels = formatting.edge_labels(edges, kind)
        return draw(charts.histogram, labels, series, title or name, f"{name} ({buckets})")
    if all(f.HasField("string_stats") for f in features):
        ordered = dict(sorted(per_series.items(), key=lambda item: item[0] != reference))
        series = {s: _shares(f, n) for s, (f, n) in ordered.items()}
        # The chart shows the values of the first series, in its order.
        first = next(iter(series))
        series[first] = _shown_first(series[first], charts.TOP_VALUES_SHOWN)
        return draw(charts.top_values, series, title or name)
    return None


def feature_charts(
    statistics: dict[str, statistics_pb2.DatasetFeatureStatisticsList],
    draw: Callable[..., str],
    gate: GateConfig | None = None,
) -> list:
    """One SVG per feature: histograms (numbers) or top-value bars (strings), splits overlaid.

    `draw(chart, *args)` renders each one (`chart_cache.drawer` reuses kept SVGs);
    `gate` says which features the data gate compares on quantile buckets.
    """
    by_feature: dict[str, dict[str, tuple]] = {}
    for split, stats in statistics.items():
        for name, counted in features_of(stats).items():
            by_feature.setdefault(name, {})[split] = counted
    reference = REFERENCE_SPLIT if REFERENCE_SPLIT in statistics else next(iter(statistics), "")
    svgs = []
    for name in sorted(by_feature):
        svg = overlay_chart(
            name, by_feature[name], draw, gate=gate or GateConfig(), reference=reference
        )
        svgs += [svg] if svg else []
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
    time_feature = run.gate_config.time_feature if run.gate_config else None
    for split, stats in statistics.items():
        section.heading(f"Split {split}")
        table = feature_table(stats)
        missing = mostly_missing(table)
        if not missing.empty:
            listed = ", ".join(
                f"{f} ({m:g}%)"
                for f, m in zip(missing["feature"], missing["missing %"], strict=True)
            )
            section.note(f"Missing in more than {MOSTLY_MISSING:.0%} of the rows: {listed}.", "bad")
        shown = readable_table(table, time_feature)
        section.table(split, table, shown=shown, flagged=list(missing.index))
    if with_charts:
        section.heading("Distributions (splits overlaid on the same buckets)")
        section.charts(
            feature_charts(statistics, chart_cache.drawer(run.pipeline_root), run.gate_config)
        )
    return section
