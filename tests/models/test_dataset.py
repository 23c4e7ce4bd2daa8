"""Dataset files: parsed strictly, checked against their schema, every mistake named.

A bad dataset file must stop before anything runs with the file and the key in
the message; the run-level check (exit 2, nothing trained) is in
tests/test_run_local.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2

import schemas
from models.dataset import DatasetError, DatasetSpec, resolve

SCHEMA = """
feature { name: "size" type: FLOAT }
feature { name: "count" type: INT int_domain { min: 0 max: 9 } }
feature { name: "colour" type: BYTES }
feature { name: "secret" type: FLOAT not_in_environment: "SERVING" }
feature { name: "kind" type: BYTES not_in_environment: "SERVING" }
"""

GOOD = """
name = "shapes"
task = "multiclass"
slices = ["colour"]

[label]
column = "kind"
classes = ["circle", "square", "star"]

[features]
size = { transform = "log" }
"""


def write(folder: Path, toml: str, schema: str = SCHEMA) -> Path:
    (folder / "schema.pbtxt").write_text(schema)
    path = folder / "dataset.toml"
    path.write_text(textwrap.dedent(toml))
    return path


def load(path: Path) -> DatasetSpec:
    """What a runner does with a dataset file: read, validate, resolve against the schema."""
    spec, file = schemas.read_dataset(path)
    schema = text_format.Parse(schemas.schema_path(spec, file).read_text(), schema_pb2.Schema())
    return resolve(spec, schema, str(file))


@pytest.mark.parametrize("name", schemas.bundled())
def test_every_bundled_dataset_resolves_against_its_schema(name):
    spec, file = schemas.read_dataset(name)
    schema = schemas.load_schema(schemas.schema_path(spec, file))
    resolved = resolve(spec, schema, str(file))
    absent_at_serving = {f.name for f in schema.feature if "SERVING" in f.not_in_environment}
    assert resolved.model_features()
    assert not set(resolved.model_features()) & absent_at_serving
    assert resolved.label.key not in resolved.model_features()
    assert schemas.data_root(spec, file).is_dir()


def test_both_datasets_ship():
    assert {"taxi", "penguins"} <= set(schemas.bundled())


def test_features_not_in_the_file_get_a_transform_from_the_schema(tmp_path):
    spec = load(write(tmp_path, GOOD))
    assert spec.model_features() == ("size", "count", "colour")
    assert spec.features["size"].transform == "log"  # the file's choice
    assert spec.features["count"].transform == "index"  # small integer domain
    assert spec.features["count"].size == 10
    assert spec.features["colour"].transform == "vocabulary"
    assert spec.features["colour"].top_k and spec.features["colour"].oov_buckets
    assert spec.class_names() == ("circle", "square", "star") and spec.num_classes == 3


def test_a_cross_combines_categorical_columns(tmp_path):
    toml = GOOD.replace('{ transform = "log" }', '{ transform = "bucketize", buckets = 4 }')
    spec = load(write(tmp_path, toml + '[crosses]\nsize_by_count = ["size", "count"]\n'))
    assert spec.crosses == {"size_by_count": ("size", "count")}
    assert spec.features["size"].categories() * spec.features["count"].categories() == 5 * 10
    assert spec.for_training().crosses == spec.crosses


def test_the_spec_survives_the_trip_through_a_model_and_training_ignores_wording(tmp_path):
    spec = load(write(tmp_path, GOOD))
    assert DatasetSpec.from_json(spec.to_json()) == spec
    reworded = spec.model_copy(update={"description": "new words", "slices": ()})
    assert reworded.for_training() == spec.for_training()


BAD_FILES = [
    # (what is wrong, the dataset file, words the message must contain)
    ("unknown top-level key", 'colour_scheme = "dark"\n' + GOOD, ["colour_scheme", "unknown key"]),
    (
        "unknown nested key",
        GOOD.replace('column = "kind"', 'column = "kind"\ncolum = "kind"'),
        ["label.colum", "unknown key"],
    ),
    ("wrong type", GOOD.replace('slices = ["colour"]', 'slices = "colour"'), ["slices"]),
    (
        "wrong type, nested",
        GOOD + '[thresholds]\nmargin_over_trivial = "high"\n',
        ["thresholds.margin_over_trivial"],
    ),
    ("unknown task", GOOD.replace('"multiclass"', '"ranking"'), ["task"]),
    (
        "feature missing from the schema",
        GOOD + 'weight = { transform = "zscore" }\n',
        ["features", "'weight'", "not in the schema"],
    ),
    ("label missing from the schema", GOOD.replace('"kind"', '"shape"'), ["label.column", "shape"]),
    (
        "slice that is no model feature",
        GOOD.replace('slices = ["colour"]', 'slices = ["secret"]'),
        ["slices", "'secret'", "model features"],
    ),
    (
        "transform that does not fit the column",
        GOOD + 'colour = { transform = "zscore" }\n',
        ["features.colour", "vocabulary"],
    ),
    (
        "parameter of another transform",
        GOOD.replace('{ transform = "log" }', '{ transform = "log", top_k = 3 }'),
        ["features.size", "top_k"],
    ),
    (
        "hook module that cannot be imported",
        'hooks = "no_such_package.hooks"\n'
        + GOOD.replace('column = "kind"', 'hook = "shape_of"\nname = "shape"\ninputs = ["kind"]'),
        ["hooks", "no_such_package.hooks"],
    ),
    (
        "hook function the module lacks",
        'hooks = "models.hooks.taxi"\n'
        + GOOD.replace('column = "kind"', 'hook = "no_such_function"\nname = "shape"'),
        ["label.hook", "no_such_function"],
    ),
    ("not TOML at all", GOOD + "[features\n", ["not valid TOML"]),
    (
        "owner without a name",
        GOOD.replace("[label]", '[[owners]]\ncontact = "a@b.c"\n\n[label]'),
        ["owners.0.name", "Field required"],
    ),
    (
        "caveat of a feature that is not compared",
        GOOD + '[fairness]\nfeatures = ["colour"]\ncaveats = { size = "Measured by eye." }\n',
        ["fairness", "caveats", "'size'", "not among the fairness features"],
    ),
    (
        "cross of a number",
        GOOD + '[crosses]\nsize_by_colour = ["size", "colour"]\n',
        ["crosses.size_by_colour", "'size' is a number", "bucketize"],
    ),
    (
        "cross of a column the model does not read",
        GOOD + '[crosses]\nsecret_colour = ["secret", "colour"]\n',
        ["crosses.secret_colour", "'secret' is not a model feature"],
    ),
    (
        "cross of one column",
        GOOD + '[crosses]\ncolours = ["colour"]\n',
        ["crosses.colours", "two or more"],
    ),
    (
        "cross too large to learn",
        GOOD.replace('{ transform = "log" }', '{ transform = "bucketize", buckets = 999 }')
        + 'colour = { transform = "vocabulary", top_k = 1000 }\n'
        + '[crosses]\nhuge = ["size", "colour"]\n',
        ["crosses.huge", "combinations"],
    ),
]


@pytest.mark.parametrize(("case", "toml", "words"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_a_bad_dataset_file_is_refused_naming_the_file_and_the_key(tmp_path, case, toml, words):
    path = write(tmp_path, toml)
    with pytest.raises(DatasetError) as raised:
        load(path)
    message = str(raised.value)
    assert str(path) in message, message
    for word in words:
        assert word in message, f"{case}: {word!r} not in {message!r}"


def test_a_regression_label_must_be_a_number(tmp_path):
    toml = GOOD.replace('"multiclass"', '"regression"').replace(
        'classes = ["circle", "square", "star"]', ""
    )
    with pytest.raises(DatasetError, match="regression needs a numeric label"):
        load(write(tmp_path, toml))


def test_an_unknown_dataset_name_lists_the_bundled_ones():
    with pytest.raises(DatasetError) as raised:
        schemas.read_dataset("no-such-dataset")
    assert "taxi" in str(raised.value) and "pipeline init" in str(raised.value)
