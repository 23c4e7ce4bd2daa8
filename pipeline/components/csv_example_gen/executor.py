"""TFX's CSV reading, with the dataset's missing-value tokens turned into empty cells.

The steps are TFX's CsvExampleGen's (read each file in order, parse lines,
infer column types from all rows, build tf.Examples); one step between parsing
and type inference blanks the tokens, so a numeric column holding `NA` is
still inferred as numeric and the token becomes a missing value.
"""

from __future__ import annotations

import json
import os
from typing import Any

import apache_beam as beam
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.components.example_gen.csv_example_gen import executor as tfx_csv
from tfx.dsl.io import fileio
from tfx.types import standard_component_specs
from tfx.utils import io_utils
from tfx_bsl.coders import csv_decoder

from pipeline.components.csv_example_gen.spec import MISSING_VALUES_KEY


def blank(cells: list, tokens: frozenset) -> list:
    """The cells with every missing-value token replaced by an empty cell."""
    return [b"" if cell in tokens else cell for cell in cells]


class _CsvToExample(beam.PTransform):
    """The CSV files of one split as tf.Examples, tokens read as missing values."""

    def __init__(self, exec_properties: dict[str, Any], split_pattern: str):
        super().__init__()
        input_base = exec_properties[standard_component_specs.INPUT_BASE_KEY]
        self._pattern = os.path.join(input_base, split_pattern)
        tokens = json.loads(exec_properties.get(MISSING_VALUES_KEY) or "[]")
        self._tokens = frozenset(t.encode("utf-8") for t in tokens)

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
        )
        return lines | "ToTFExample" >> beam.ParDo(tfx_csv._ParsedCsvToTfExample(), column_infos)


class Executor(BaseExampleGenExecutor):
    """CSV files to tf.Examples, with missing-value tokens."""

    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:
        return _CsvToExample
