"""The taxi dataset file agrees with the curated schema it is used with."""

from __future__ import annotations

from tensorflow_metadata.proto.v0 import schema_pb2

from models import features as F


def _feature(schema, name):
    return next(f for f in schema.feature if f.name == name)


def test_every_schema_column_is_a_feature_ignored_or_the_labels_source(schema, taxi):
    spec = taxi.spec
    names = {f.name for f in schema.feature}
    used = set(spec.model_features()) | set(spec.label.inputs) | set(spec.ignore)
    assert set(spec.model_features()) <= names
    assert used == names, "every schema column is either used or listed as unused"


def test_index_features_cover_their_schema_domain(schema, taxi):
    for key, feature in taxi.spec.features.items():
        if feature.transform != "index":
            continue
        domain = _feature(schema, key).int_domain
        assert domain.min >= 0 and domain.max == feature.size - 1, key


def test_label_source_is_required_for_training_only(schema, taxi):
    tips = _feature(schema, "tips")
    assert "tips" in taxi.spec.label.inputs and "tips" not in taxi.spec.model_features()
    assert tips.presence.min_fraction == 1.0
    assert list(tips.not_in_environment) == ["SERVING"]
    assert tips.type == schema_pb2.FLOAT


def test_transformed_names_are_distinct_from_raw_names(taxi):
    transformed = {F.transformed_name(name) for name in taxi.spec.model_features()}
    assert all(name.endswith("_xf") for name in transformed)
    assert not transformed & set(taxi.spec.model_features())
    assert F.transformed_label(taxi.spec) == "big_tipper_xf"
    assert F.prediction_key(taxi.spec) == "big_tipper_probability"
