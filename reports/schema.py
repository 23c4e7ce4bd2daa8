"""The schema a run validated its data against, as tables."""

from __future__ import annotations

from tensorflow_metadata.proto.v0 import schema_pb2

from pipeline import steps
from pipeline.components.standard_outputs import read_schema
from pipeline.metadata.run import Run
from reports.section import Section


def load(run: Run) -> schema_pb2.Schema | None:
    """The schema ImportSchemaGen gave this run, or None."""
    artifact = run.output(steps.SCHEMA_GEN, "schema")
    return read_schema(artifact) if artifact is not None else None


def report(run: Run) -> Section:
    """Features (type, presence, valency, domain) and the value domains."""
    from tensorflow_data_validation.utils import display_util

    section = Section("Schema", "schema")
    schema = load(run)
    if schema is None:
        section.not_produced(run.why_missing(steps.SCHEMA_GEN, "schema"))
        return section
    features, domains = display_util.get_schema_dataframe(schema)
    environments = {
        f.name: ", ".join(f.not_in_environment) for f in schema.feature if f.not_in_environment
    }
    features = features.reset_index()
    features["Feature name"] = [name.strip("'") for name in features["Feature name"]]
    features["Absent in"] = [environments.get(n, "") for n in features["Feature name"]]
    section.note(
        "Look for: a column that should be required but is optional, and domains that are "
        "too narrow (they turn new but valid values into anomalies) or too wide."
    )
    section.table("features", features)
    if not domains.empty:
        section.heading("Value domains")
        section.table("domains", domains.reset_index())
    return section
