"""One monitor pass: each version's logged traffic against the run that trained it.

Per version that answered: request and row counts; skew of every compared
input (the data gate's comparators and that run's thresholds, TFDV computing
both sides' statistics alike); anomalies of the served inputs against the
run's schema in its SERVING environment; and the served prediction
distribution against the eval split's. Findings name what is off; `exit_code`
turns them into what a scheduler acts on.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from pipeline.components.data_gate.comparisons import compare_statistics
from pipeline.config import MonitorConfig
from pipeline.monitoring import predictions as P
from pipeline.monitoring import served as S
from pipeline.monitoring.logs import Logs
from pipeline.monitoring.reference import NoReference, Reference, find_reference
from reports.drift import measurement_table

OK, FINDINGS = 0, 3
SERVING_ENVIRONMENT = "SERVING"


@dataclasses.dataclass
class VersionCheck:
    """What one version's traffic showed."""

    version: str
    requests: int
    rows: int
    run_id: str | None = None
    unchecked: str = ""  # why nothing was compared (no training reference)
    notes: list[str] = dataclasses.field(default_factory=list)
    skew: pd.DataFrame | None = None  # one row per compared feature
    anomalies: dict[str, str] = dataclasses.field(default_factory=dict)
    predictions: list[P.PredictionComparison] = dataclasses.field(default_factory=list)
    # For the page's charts, not the JSON: both sides' statistics and the gate config.
    reference: Reference | None = None
    served_statistics: object | None = None
    # Output name -> served predictions (rows x width): what promotion compares
    # between the canary and the stable version.
    served_outputs: dict[str, object] = dataclasses.field(default_factory=dict)

    @property
    def skewed(self) -> list[str]:
        if self.skew is None or self.skew.empty:
            return []
        return list(dict.fromkeys(self.skew.loc[self.skew["result"] != "ok", "feature"]))

    @property
    def moved_outputs(self) -> list[str]:
        return [p.output for p in self.predictions if p.over]

    @property
    def findings(self) -> list[str]:
        """One line per problem, each naming the features or outputs."""
        found = []
        if self.skewed:
            found.append(f"skew in {', '.join(self.skewed)}")
        if self.anomalies:
            found.append(f"anomalies in {', '.join(sorted(self.anomalies))}")
        if self.moved_outputs:
            found.append(f"prediction distribution moved: {', '.join(self.moved_outputs)}")
        return found


@dataclasses.dataclass
class MonitorResult:
    model: str
    logs: Logs
    versions: list[VersionCheck]

    @property
    def exit_code(self) -> int:
        return FINDINGS if any(v.findings for v in self.versions) else OK


def _skew(served_stats, reference: Reference, columns: set[str]) -> pd.DataFrame:
    gate = reference.gate
    compared = [c for c in gate.compared or sorted(columns) if c in columns]
    anomalies = compare_statistics(
        reference.statistics, reference.schema, serving=served_stats,
        thresholds=gate.skew, compared=tuple(compared), long_tailed=gate.long_tailed,
    )  # fmt: skip
    # The run report's table of the same measurements: one row per feature and comparator.
    return measurement_table(anomalies, "skew")


def _anomalies(served_stats, schema, columns: set[str]) -> dict[str, str]:
    """Feature -> description of the served inputs' anomalies against the schema.

    Only the columns the requests carried are checked: the others (the label,
    columns the model does not read, inputs dropped from the log for privacy)
    are absent by design, not anomalies of the traffic.
    """
    import tensorflow_data_validation as tfdv
    from tensorflow_metadata.proto.v0 import schema_pb2

    checked = schema_pb2.Schema()
    checked.CopyFrom(schema)
    kept = [f for f in checked.feature if f.name in columns]
    del checked.feature[:]
    checked.feature.extend(kept)
    environment = (
        SERVING_ENVIRONMENT if SERVING_ENVIRONMENT in checked.default_environment else None
    )
    result = tfdv.validate_statistics(served_stats, checked, environment=environment)
    return {
        feature: " ".join(r.description for r in info.reason) or info.description
        for feature, info in sorted(result.anomaly_info.items())
    }


def _predictions(check: VersionCheck, data: S.Served, reference: Reference, config):
    if reference.model_dir is None or reference.examples_uri is None:
        check.notes.append(
            "Predictions not compared: the version's SavedModel or the run's eval split is gone."
        )
        return
    try:
        evaluated = P.eval_predictions(
            reference.model_dir, reference.examples_uri, config.eval_examples
        )
    except Exception as e:  # deleted files, a model without the tf.Example signature
        check.notes.append(f"Predictions not compared: the eval split was not predicted ({e}).")
        return
    for name in sorted(evaluated):
        served_output = data.output(name)
        if served_output is None:
            continue
        check.predictions.append(
            P.compare(
                name, served_output, evaluated[name],
                buckets=config.prediction_buckets, threshold=config.prediction_js_distance,
            )
        )  # fmt: skip
    if not check.predictions:
        check.notes.append("Predictions not compared: no logged :predict answer names an output "
                           "of the eval split's predictions.")  # fmt: skip


def check_version(
    version: str, records: list, reference: Reference | NoReference, config: MonitorConfig
) -> VersionCheck:
    """The traffic of one version against its training reference."""
    data = S.served(records)
    check = VersionCheck(version=version, requests=data.requests, rows=data.rows)
    check.served_outputs = {name: data.output(name) for name in data.outputs}
    if isinstance(reference, NoReference):
        check.unchecked = f"Training statistics not found, nothing compared: {reference}"
        return check
    check.run_id, check.reference = reference.run_id, reference
    if reference.copy_of:
        check.notes.append(f"A rollback copy of version {reference.copy_of}, traced through it.")
    if not data.rows:
        check.notes.append("No input rows in the logged requests.")
        return check
    columns = {name for name, values in data.columns.items() if any(v for v in values)}
    check.served_statistics = S.statistics(data)
    minimum = reference.gate.min_rows_to_compare
    if data.rows < minimum:
        check.notes.append(
            f"Skew not measured: {data.rows} served rows, fewer than the {minimum} the data "
            "gate needs before sampling noise stays under its thresholds."
        )
    else:
        check.skew = _skew(check.served_statistics, reference, columns)
    check.anomalies = _anomalies(check.served_statistics, reference.schema, columns)
    _predictions(check, data, reference, config)
    return check


def monitor(
    model: str,
    logs: Logs,
    *,
    metadata_path: str,
    pipeline_root: str | Path,
    serving_base: Path | None,
    config: MonitorConfig = MonitorConfig(),
) -> MonitorResult:
    """Every version in `logs` checked against the run that trained it."""
    checks = []
    for version in sorted(logs.records, key=int):
        try:
            reference = find_reference(metadata_path, pipeline_root, version, serving_base)
        except NoReference as e:
            reference = e
        checks.append(check_version(version, logs.records[version], reference, config))
    return MonitorResult(model=model, logs=logs, versions=checks)
