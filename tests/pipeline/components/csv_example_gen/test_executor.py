"""The ExampleGen's CSV reading: the curated schema's types win over inferred ones.

Runs the component's own Beam transform on the DirectRunner over CSV files
written here, and reads back the tf.Examples it builds.
"""

from __future__ import annotations

import json

import apache_beam as beam
import tensorflow as tf
from tfx.types import standard_component_specs

from pipeline.components.csv_example_gen.executor import _CsvToExample
from pipeline.components.csv_example_gen.spec import MISSING_VALUES_KEY, SCHEMA_PATH_KEY

SCHEMA = """
feature { name: "fare" type: FLOAT }
feature { name: "code" type: BYTES }
feature { name: "count" type: INT }
feature { name: "empty" type: FLOAT }
"""


def _examples(tmp_path, text: str, *, schema: str | None, missing=()) -> list[tf.train.Example]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text(text)
    props = {
        standard_component_specs.INPUT_BASE_KEY: str(data),
        MISSING_VALUES_KEY: json.dumps(list(missing)),
    }
    if schema is not None:
        path = tmp_path / "schema.pbtxt"
        path.write_text(schema)
        props[SCHEMA_PATH_KEY] = str(path)
    out = tmp_path / "examples"
    with beam.Pipeline() as p:
        _ = (
            p
            | _CsvToExample(props, "*.csv")
            | beam.io.WriteToTFRecord(str(out), coder=beam.coders.ProtoCoder(tf.train.Example))
        )
    return [
        tf.train.Example.FromString(record.numpy())
        for path in tmp_path.glob("examples*")
        for record in tf.data.TFRecordDataset(str(path))
    ]


def _kinds(example: tf.train.Example) -> dict[str, str]:
    return {name: f.WhichOneof("kind") for name, f in example.features.feature.items()}


def test_whole_numbers_in_a_float_column_become_floats(tmp_path):
    text = "fare,code,count,empty\n12,601,3,\n7,602,4,\n"
    [first, second] = sorted(
        _examples(tmp_path, text, schema=SCHEMA),
        key=lambda e: e.features.feature["count"].int64_list.value[0],
    )
    assert _kinds(first) == {
        "fare": "float_list",
        "code": "bytes_list",
        "count": "int64_list",
        "empty": "float_list",
    }
    assert list(first.features.feature["fare"].float_list.value) == [12.0]
    assert list(second.features.feature["code"].bytes_list.value) == [b"602"]
    assert list(first.features.feature["empty"].float_list.value) == []


def test_without_a_schema_types_are_inferred_as_tfx_does(tmp_path):
    [example, _] = _examples(tmp_path, "fare,code\n12,601\n7,602\n", schema=None)
    assert _kinds(example) == {"fare": "int64_list", "code": "int64_list"}


def test_columns_the_schema_does_not_know_keep_their_inferred_type(tmp_path):
    text = "fare,code,count,empty,extra\n1.5,a,1,,9\nNA,b,2,,8\n"
    examples = _examples(tmp_path, text, schema=SCHEMA, missing=("NA",))
    assert {_kinds(e)["extra"] for e in examples} == {"int64_list"}
    fares = sorted(tuple(e.features.feature["fare"].float_list.value) for e in examples)
    assert fares == [(), (1.5,)]
