"""CsvExampleGen reading missing-value tokens (`NA`, say) as missing values.

TFX's CsvExampleGen reads only an empty cell as missing; a numeric column
holding `NA` would be inferred as text and fail validation. This component
takes the dataset's tokens as a parameter, reads the columns the curated schema
types as those types (TFX infers them: whole numbers in a float column would
become integers the schema refuses), and otherwise behaves as TFX's.
"""

from __future__ import annotations

import json

from tfx.components.example_gen import utils
from tfx.components.example_gen.component import FileBasedExampleGen
from tfx.dsl.components.base import base_beam_component, executor_spec
from tfx.proto import example_gen_pb2
from tfx.types import channel, standard_artifacts

from pipeline.components.csv_example_gen.executor import Executor
from pipeline.components.csv_example_gen.spec import CsvExampleGenSpec


class CsvExampleGen(FileBasedExampleGen):
    """Reads `input_base`'s CSV files into tf.Examples, split by hash."""

    SPEC_CLASS = CsvExampleGenSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(Executor)

    def __init__(
        self,
        input_base: str,
        input_config: example_gen_pb2.Input,
        output_config: example_gen_pb2.Output,
        missing_values: tuple[str, ...] = (),
        schema_path: str | None = None,
    ) -> None:
        spec = CsvExampleGenSpec(
            input_base=input_base,
            input_config=input_config,
            output_config=output_config or utils.make_default_output_config(input_config),
            missing_values=json.dumps(list(missing_values)),
            schema_path=schema_path,
            output_data_format=example_gen_pb2.FORMAT_TF_EXAMPLE,
            output_file_format=example_gen_pb2.FORMAT_TFRECORDS_GZIP,
            examples=channel.Channel(type=standard_artifacts.Examples),
        )
        base_beam_component.BaseBeamComponent.__init__(self, spec=spec)
