"""The ExampleGen's spec: TFX's file-based one, plus the dataset's missing-value tokens
and its curated schema."""

from __future__ import annotations

from tfx.types import component_spec, standard_component_specs

MISSING_VALUES_KEY = "missing_values"
SCHEMA_PATH_KEY = "schema_path"


class CsvExampleGenSpec(standard_component_specs.FileBasedExampleGenSpec):
    PARAMETERS = {  # noqa: RUF012 - TFX reads specs from plain class attributes
        **standard_component_specs.FileBasedExampleGenSpec.PARAMETERS,
        # JSON list of cell values that mean "missing" (besides an empty cell).
        MISSING_VALUES_KEY: component_spec.ExecutionParameter(type=str),
        # The curated schema: its columns are read as its types, not inferred ones.
        SCHEMA_PATH_KEY: component_spec.ExecutionParameter(type=str, optional=True),
    }
