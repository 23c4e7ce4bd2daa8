"""The features module agrees with the curated schema it is used with."""

from __future__ import annotations

from tensorflow_metadata.proto.v0 import schema_pb2

from models import features as F


def _feature(schema, name):
    return next(f for f in schema.feature if f.name == name)


def test_every_model_feature_is_in_the_schema(schema):
    names = {f.name for f in schema.feature}
    used = set(F.raw_model_features()) | {F.TIPS_KEY, F.FARE_KEY} | set(F.UNUSED_FEATURES)
    assert set(F.raw_model_features()) <= names
    assert used == names, "every schema column is either used or listed as unused"


def test_range_features_cover_their_schema_domain(schema):
    for key, size in F.RANGE_FEATURES.items():
        domain = _feature(schema, key).int_domain
        assert domain.min >= 0 and domain.max == size - 1, key


def test_label_source_is_required_for_training_only(schema):
    tips = _feature(schema, F.TIPS_KEY)
    assert tips.presence.min_fraction == 1.0
    assert list(tips.not_in_environment) == ["SERVING"]
    assert _feature(schema, F.TIPS_KEY).type == schema_pb2.FLOAT


def test_transformed_names_are_distinct_from_raw_names():
    transformed = set(F.categorical_buckets()) | set(F.dense_float_features())
    assert all(name.endswith("_xf") for name in transformed)
    assert not transformed & set(F.raw_model_features())
    assert F.transformed_label() == "big_tipper_xf"


def test_bucket_counts_include_oov_and_missing_buckets():
    sizes = F.categorical_buckets()
    assert sizes["company_xf"] == F.VOCAB_SIZE + F.OOV_BUCKETS
    assert sizes["pickup_latitude_xf"] == F.COORDINATE_BUCKETS + 1
    assert sizes["pickup_cell_xf"] == (F.COORDINATE_BUCKETS + 1) ** 2
