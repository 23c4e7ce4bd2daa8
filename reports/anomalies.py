"""What ExampleValidator found wrong with each split, in plain English."""

from __future__ import annotations

import pandas as pd
from tensorflow_metadata.proto.v0 import anomalies_pb2

from pipeline import steps
from pipeline.components.standard_outputs import anomalies_by_split
from pipeline.metadata.run import Run
from reports.section import Section

DATASET = "[dataset]"


def load(run: Run) -> dict[str, anomalies_pb2.Anomalies]:
    """Split name -> ExampleValidator's anomalies for this run; empty if it has none."""
    artifact = run.output(steps.EXAMPLE_VALIDATOR, "anomalies")
    return anomalies_by_split(artifact) if artifact is not None else {}


def _describe(info: anomalies_pb2.AnomalyInfo) -> tuple[str, str]:
    short = info.short_description or "; ".join(r.short_description for r in info.reason)
    long = info.description or " ".join(r.description for r in info.reason)
    return short, long


def anomaly_table(anomalies: anomalies_pb2.Anomalies) -> pd.DataFrame:
    """One row per anomalous feature (and the dataset): short and full description."""
    rows = []
    for feature, info in sorted(anomalies.anomaly_info.items()):
        short, long = _describe(info)
        kinds = ", ".join(anomalies_pb2.AnomalyInfo.Type.Name(r.type) for r in info.reason)
        rows.append({"feature": feature, "anomaly": short, "description": long, "kind": kinds})
    if anomalies.HasField("dataset_anomaly_info"):
        short, long = _describe(anomalies.dataset_anomaly_info)
        rows.append({"feature": DATASET, "anomaly": short, "description": long, "kind": ""})
    return pd.DataFrame(rows, columns=["feature", "anomaly", "description", "kind"])


def report(run: Run) -> Section:
    """A table of anomalies per split, or a line saying the split matches the schema."""
    section = Section("Anomalies", "anomalies")
    found = load(run)
    if not found:
        section.not_produced(run.why_missing(steps.EXAMPLE_VALIDATOR, "anomalies"))
        return section
    total = sum(len(a.anomaly_info) + a.HasField("dataset_anomaly_info") for a in found.values())
    section.note(
        f"{total} anomal{'y' if total == 1 else 'ies'} against the schema. An anomaly is "
        "either bad data (fix the source) or a schema that no longer describes valid data "
        "(update the dataset's schema: python -m pipeline schema update)."
    )
    for split, anomalies in found.items():
        section.heading(f"Split {split}")
        table = anomaly_table(anomalies)
        section.tables[split] = table
        if table.empty:
            section.note("No anomalies: the data matches the schema.", "good")
        else:
            section.table(split, table)
    return section
