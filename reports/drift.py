"""Train-versus-eval skew and run-over-run drift, with TFDV's comparators.

The measurements come from the data gate's `compare_statistics`
(pipeline/components/data_gate/comparisons.py), so the report shows the numbers and
thresholds the pipeline itself would judge by.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pandas as pd
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2

from pipeline import steps
from pipeline.components.data_gate.comparisons import comparator_anomalies, compare_statistics
from pipeline.components.standard_outputs import split_statistics
from pipeline.config import GateConfig
from pipeline.metadata.run import Run
from reports import chart_cache, charts, formatting
from reports import schema as schema_report
from reports import statistics as statistics_report
from reports.section import Section

TRAIN, EVAL = "train", "eval"


def measurement_table(anomalies: anomalies_pb2.Anomalies, kind: str) -> pd.DataFrame:
    """One row per compared feature: comparator, value, threshold, and whether it is over.

    `kind` is "drift" or "skew" (which measurements of `drift_skew_info` to read).
    """
    flagged = comparator_anomalies(anomalies)
    rows = []
    for info in anomalies.drift_skew_info:
        feature = ".".join(info.path.step)
        measured = info.drift_measurements if kind == "drift" else info.skew_measurements
        for m in measured:
            over = m.value > m.threshold
            rows.append(
                {
                    "feature": feature,
                    "comparator": formatting.comparator(
                        anomalies_pb2.DriftSkewInfo.Measurement.Type.Name(m.type)
                    ),
                    "value": m.value,
                    "threshold": m.threshold,
                    "result": f"{kind.upper()}" if over else "ok",
                    "description": flagged.get(feature, "") if over else "",
                }
            )
    frame = pd.DataFrame(
        rows, columns=["feature", "comparator", "value", "threshold", "result", "description"]
    )
    return frame.sort_values("value", ascending=False, ignore_index=True)


@dataclasses.dataclass(frozen=True)
class Compared:
    """The two datasets of one comparison, named as the charts label them."""

    reference_name: str
    reference: statistics_pb2.DatasetFeatureStatisticsList
    current_name: str
    current: statistics_pb2.DatasetFeatureStatisticsList


def overlays(
    features: list[str], compared: Compared, gate: GateConfig, draw: Callable[..., str]
) -> list[str]:
    """Reference against current for each of `features`, on the buckets the gate measured."""
    reference = statistics_report.features_of(compared.reference)
    current = statistics_report.features_of(compared.current)
    svgs = []
    for feature in features:
        if feature not in reference or feature not in current:
            continue
        per_series = {
            compared.reference_name: reference[feature],
            compared.current_name: current[feature],
        }
        svg = statistics_report.overlay_chart(
            feature, per_series, draw, gate=gate, reference=compared.reference_name
        )
        svgs += [svg] if svg else []
    return svgs


def _show(
    section: Section,
    name: str,
    frame: pd.DataFrame,
    title: str,
    draw: Callable[..., str] | None,
    compared: Compared,
    gate: GateConfig,
):
    """The measurements of one comparison; with charts when `draw` is given: the
    measurements, and the distributions of each feature over its threshold."""
    over = frame[frame["result"] != "ok"]
    if over.empty:
        section.note(f"No feature is over its threshold ({len(frame)} compared).", "good")
    else:
        listed = ", ".join(over["feature"])
        section.note(f"Over the threshold: {listed}.", "bad")
    section.table(name, frame)
    if draw is not None and not frame.empty:
        rows = list(zip(frame["feature"], frame["value"], frame["threshold"], strict=True))
        features = list(dict.fromkeys(over["feature"]))
        section.charts(
            [draw(charts.measurements, rows, title), *overlays(features, compared, gate, draw)]
        )


def report(run: Run, *, with_charts: bool = True) -> Section:
    """Skew of the train split against eval, and drift against the previous run's train split.

    Measured as the run's data gate measures them: the same columns, histograms
    and thresholds (its `GateConfig`, recorded in ML Metadata).
    """
    section = Section("Skew and drift", "drift")
    gate = run.gate_config or GateConfig()
    thresholds = gate.skew
    section.note(
        f"Thresholds: Jensen-Shannon divergence {thresholds.numeric_jensen_shannon} for numeric "
        f"features, L-infinity distance {thresholds.categorical_l_infinity} for categorical "
        "ones (the data gate's, pipeline/config.py: DriftThresholds). A value over its "
        "threshold means the feature's distribution moved more than random sampling explains."
    )
    statistics = statistics_report.load(run)
    schema = schema_report.load(run)
    if not statistics or schema is None:
        node, key = (
            (steps.STATISTICS_GEN, "statistics") if not statistics else (steps.SCHEMA_GEN, "schema")
        )
        section.not_produced(run.why_missing(node, key))
        return section

    draw = chart_cache.drawer(run.pipeline_root) if with_charts else None
    columns = gate.compared or tuple(f.name for f in schema.feature)
    compare = {"compared": columns, "long_tailed": gate.long_tailed}
    section.heading(f"Skew: {TRAIN} split against {EVAL} split")
    if TRAIN in statistics and EVAL in statistics:
        skew = compare_statistics(
            statistics[TRAIN], schema, serving=statistics[EVAL], thresholds=gate.skew, **compare
        )
        compared = Compared(TRAIN, statistics[TRAIN], EVAL, statistics[EVAL])
        table = measurement_table(skew, "skew")
        _show(section, "skew", table, "skew train/eval", draw, compared, gate)
    else:
        section.not_produced(f"This run has no {TRAIN} and {EVAL} splits to compare.")

    section.heading("Drift: this run's train split against the previous run's")
    if run.previous_statistics is None:
        section.note("No earlier run with different data to compare with.")
        return section
    if TRAIN not in statistics:
        section.not_produced(f"This run has no {TRAIN} split to compare.")
        return section
    previous = split_statistics(run.previous_statistics.uri, TRAIN)
    section.note(f"Previous run: {run.previous_run_id}.")
    drift = compare_statistics(
        statistics[TRAIN], schema, previous=previous, thresholds=gate.drift, **compare
    )
    compared = Compared("previous run", previous, "this run", statistics[TRAIN])
    table = measurement_table(drift, "drift")
    _show(section, "drift", table, "drift vs previous run", draw, compared, gate)
    return section
