"""TFX's CSV reading, with the dataset's missing-value tokens turned into empty cells
and the curated schema's column types.

The steps are TFX's CsvExampleGen's (read each file in order, parse lines,
infer column types from all rows, build tf.Examples). One step between parsing
and type inference blanks the tokens, so a numeric column holding `NA` is
still inferred as numeric and the token becomes a missing value. Then every
column the schema knows takes the schema's type: inference would call a float
column of whole numbers INT and an all-empty column untyped, and the data
gate would refuse valid data. (The preflight, pipeline/inputs.py, has already
checked each value parses as its column's type.)
"""

from __future__ import annotations

import json
import os
from typing import Any

import apache_beam as beam
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.components.example_gen.csv_example_gen import executor as tfx_csv
from tfx.dsl.io import fileio
from tfx.types import standard_component_specs
from tfx.utils import io_utils
from tfx_bsl.coders import csv_decoder

from pipeline.components.csv_example_gen.spec import MISSING_VALUES_KEY, SCHEMA_PATH_KEY

_COLUMN_TYPES = {
    schema_pb2.INT: csv_decoder.ColumnType.INT,
    schema_pb2.FLOAT: csv_decoder.ColumnType.FLOAT,
    schema_pb2.BYTES: csv_decoder.ColumnType.STRING,
}


def blank(cells: list, tokens: frozenset) -> list:
    """The cells with every missing-value token replaced by an empty cell."""
    return [b"" if cell in tokens else cell for cell in cells]


def schema_types(schema: schema_pb2.Schema) -> dict[str, object]:
    """Column name -> the CSV decoder's type for each column the schema types."""
    return {f.name: _COLUMN_TYPES[f.type] for f in schema.feature if f.type in _COLUMN_TYPES}


def with_types(column_infos: list, types: dict[str, object]) -> list:
    """The inferred column infos, with `types` where they name the column."""
    return [csv_decoder.ColumnInfo(c.name, types.get(c.name, c.type)) for c in column_infos]


class _CsvToExample(beam.PTransform):
    """The CSV files of one split as tf.Examples, tokens read as missing values."""

    def __init__(self, exec_properties: dict[str, Any], split_pattern: str):
        super().__init__()
        input_base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
        self._pattern = os.path.join(input_base, split_pattern)
        tokens = json.loads(exec_properties.get(MISSING_VALUES_KEY) or "[]")
        self._tokens = frozenset(t.encode("utf-8") for t in tokens)
        schema_path = exec_properties.get(SCHEMA_PATH_KEY)
        self._types = schema_types(io_utils.SchemaReader().read(schema_path)) if schema_path else {}

    def expand(self, pipeline: beam.Pipeline):
        files = fileio.glob(self._pattern)
        if not files:
            raise RuntimeError(f"Split pattern {self._pattern} does not match any files.")
        column_names = io_utils.load_csv_column_names(files[0])
        for path in files[1:]:
            if io_utils.load_csv_column_names(path) != column_names:
                raise RuntimeError(f"Files in same split {self._pattern} have different header.")
        tokens = self._tokens
        lines = (
            pipeline
            | "CreateFilenames" >> beam.Create(files)
            | "ReadFromText" >> beam.ParDo(tfx_csv._ReadCsvRecordsFromTextFile())
            | "ParseCSVLine" >> beam.ParDo(csv_decoder.ParseCSVLine(delimiter=","))
            | "ExtractParsedCSVLines" >> beam.Keys()
            | "BlankMissingTokens" >> beam.Map(blank, tokens)
        )
        column_infos = beam.pvalue.AsSingleton(
            lines
            | "InferColumnTypes"
            >> beam.CombineGlobally(
                csv_decoder.ColumnTypeInferrer(column_names, skip_blank_lines=True)
            )
            | "SchemaTypes" >> beam.Map(with_types, self._types)
        )
        return lines | "ToTFExample" >> beam.ParDo(tfx_csv._ParsedCsvToTfExample(), column_infos)


class Executor(BaseExampleGenExecutor):
    """CSV files to tf.Examples, with missing-value tokens."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return _CsvToExample
