"""The gate computes the train split's labels as Transform does, and blocks a label
the model cannot learn from: one class, or one regression value.

Examples are real gzip TFRecord files of tf.Examples typed by the curated
schemas; the label runs through the dataset's own hook (taxi) or column
(penguins).
"""

from __future__ import annotations

import numpy as np
import pytest
import taxi_facts
import tensorflow as tf
from tensorflow_metadata.proto.v0 import schema_pb2

from pipeline.components.data_gate import decision, labels
from pipeline.runners.configs import load_dataset
from schemas import load_schema


def _write_split(folder, rows, schema) -> str:
    types = {f.name: f.type for f in schema.feature}
    folder.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(folder / "data.gz"), options="GZIP") as writer:
        for row in rows:
            features = {}
            for name, value in row.items():
                kind = types.get(name)
                if kind == schema_pb2.FLOAT:
                    values = [float(value)] if value else []
                    features[name] = tf.train.Feature(float_list=tf.train.FloatList(value=values))
                elif kind == schema_pb2.INT:
                    values = [int(value)] if value else []
                    features[name] = tf.train.Feature(int64_list=tf.train.Int64List(value=values))
                elif kind == schema_pb2.BYTES:
                    values = [value.encode()] if value else []
                    features[name] = tf.train.Feature(bytes_list=tf.train.BytesList(value=values))
            example = tf.train.Example(features=tf.train.Features(feature=features))
            writer.write(example.SerializeToString())
    return str(folder)


def test_taxi_labels_are_its_hooks(tmp_path, sample_rows):
    schema = load_schema()
    rows = sample_rows[:5000]
    split = _write_split(tmp_path / "Split-train", rows, schema)
    found = labels.train_labels(split, schema, taxi_facts.spec())
    # In float32, as the examples hold them and Transform computes.
    f32 = np.float32
    expected = [int(f32(r["tips"]) > f32(r["fare"]) * f32(0.2)) for r in rows]
    assert found.tolist() == expected
    assert decision.label_findings(found, taxi_facts.spec()) == []


def test_one_class_blocks_and_names_the_missing_ones(tmp_path, sample_rows):
    schema = load_schema()
    no_tips = [{**r, "tips": "0"} for r in sample_rows[:3000]]
    split = _write_split(tmp_path / "Split-train", no_tips, schema)
    found = labels.train_labels(split, schema, taxi_facts.spec())
    [finding] = decision.label_findings(found, taxi_facts.spec())
    assert finding.blocking and finding.kind == decision.ONE_CLASS
    assert finding.feature == "big_tipper"
    assert "All 3000 training examples are of one class ('not big tipper')" in (finding.description)
    assert "'big tipper'" in finding.description.split("Add examples")[1]


@pytest.fixture(scope="module")
def penguins():
    return load_dataset("penguins")


def _penguin_rows(penguins, species: list[str]):
    import csv

    with open(penguins.data_root / "penguins.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["species"] in species]
    return [{k: ("" if v == "NA" else v) for k, v in r.items()} for r in rows]


def test_a_multiclass_label_missing_a_class_is_noted_not_blocked(tmp_path, penguins):
    rows = _penguin_rows(penguins, ["Adelie", "Gentoo"])
    split = _write_split(tmp_path / "Split-train", rows, penguins.schema)
    found = labels.train_labels(split, penguins.schema, penguins.spec)
    assert set(np.unique(found)) == {0, 2}
    [finding] = decision.label_findings(found, penguins.spec)
    assert not finding.blocking and finding.kind == decision.MISSING_CLASS
    assert "'Chinstrap'" in finding.description


def test_a_multiclass_label_of_one_species_blocks(tmp_path, penguins):
    rows = _penguin_rows(penguins, ["Gentoo"])
    split = _write_split(tmp_path / "Split-train", rows, penguins.schema)
    found = labels.train_labels(split, penguins.schema, penguins.spec)
    [finding] = decision.label_findings(found, penguins.spec)
    assert finding.blocking and "of one class ('Gentoo')" in finding.description


def test_a_constant_regression_label_blocks():
    spec = taxi_facts.spec().model_copy(update={"task": "regression"})
    spec = spec.model_copy(update={"label": spec.label.model_copy(update={"classes": ()})})
    [finding] = decision.label_findings(np.full(50, 3.5), spec)
    assert finding.blocking and finding.kind == decision.CONSTANT_LABEL
    assert "label value 3.5" in finding.description
    assert decision.label_findings(np.array([3.5, 4.0]), spec) == []
