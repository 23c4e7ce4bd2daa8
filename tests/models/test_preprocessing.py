"""`preprocessing_fn` run through tf.Transform on Beam, on a handful of rows."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

from models import features as F
from models.dataset import CUSTOM_CONFIG_KEY
from models.preprocessing import preprocessing_fn

NULL = object()  # an empty CSV cell
CELL = ("pickup_latitude", "pickup_longitude")


def _row(fare, tips, payment, company, hour, pickup_lat, dropoff_lat=NULL, area=NULL):
    values = {
        "fare": fare,
        "tips": tips,
        "trip_miles": 1.5,
        "trip_seconds": 600,
        "trip_start_timestamp": 1_400_000_000,
        "trip_start_hour": hour,
        "trip_start_day": 3,
        "trip_start_month": 5,
        "pickup_latitude": pickup_lat,
        "pickup_longitude": -87.63,
        "dropoff_latitude": dropoff_lat,
        "dropoff_longitude": -87.65,
        "payment_type": payment,
        "company": company,
        "pickup_community_area": area,
        "dropoff_community_area": 8,
        "pickup_census_tract": NULL,
        "dropoff_census_tract": NULL,
    }
    return values


ROWS = [
    _row(10.0, 3.0, "Credit Card", "Flash Cab", 0, 41.88, 41.90, 8),
    _row(10.0, 1.0, "Credit Card", "Flash Cab", 6, 41.89, 41.91, 8),
    _row(20.0, 0.0, "Cash", NULL, 12, 41.90, NULL, 32),
    _row(5.0, 2.0, "Cash", "Flash Cab", 18, 41.95),
    _row(0.0, 0.0, "Cash", "Blue Ribbon", 23, 41.97),
]


def _instances(schema):
    """Rows as tf.Transform instance dicts: lists for optional columns."""
    spec = schema_utils.schema_as_feature_spec(schema).feature_spec
    out = []
    for row in ROWS:
        instance = {}
        for name, value in row.items():
            if hasattr(spec[name], "default_value"):  # FixedLenFeature: required
                instance[name] = [value]
            else:
                instance[name] = [] if value is NULL else [value]
        out.append(instance)
    return out


@pytest.fixture(scope="module")
def transformed(schema, taxi, tmp_path_factory):
    metadata = dataset_metadata.DatasetMetadata(schema)
    # Taxi with a cross of the pickup coordinates' buckets (a grid cell), which its
    # own file leaves out (docs/benchmarks.md, "Model settings").
    spec = taxi.spec.model_copy(update={"crosses": {"pickup_cell": CELL}})
    config = {CUSTOM_CONFIG_KEY: spec.to_json()}
    with tft_beam.Context(temp_dir=str(tmp_path_factory.mktemp("tft"))):
        (data, _), _ = (_instances(schema), metadata) | tft_beam.AnalyzeAndTransformDataset(
            functools.partial(preprocessing_fn, custom_config=config)
        )
    return data


@pytest.fixture(scope="module")
def buckets(taxi) -> int:
    """Quantile buckets of a coordinate (the dataset file's), without the missing one."""
    return taxi.spec.features["pickup_latitude"].buckets


def _column(rows, key):
    return np.array([np.asarray(r[F.transformed_name(key)]).item() for r in rows])


def test_label_is_tip_above_a_fifth_of_the_fare(transformed):
    # 3/10 > 0.2, 1/10 is not, no tip, 2/5 > 0.2, zero fare with zero tip is not.
    assert list(_column(transformed, "big_tipper")) == [1, 0, 0, 1, 0]


def test_log_numerics_are_z_scored(transformed):
    fare = _column(transformed, "fare")
    assert fare.mean() == pytest.approx(0.0, abs=1e-5)
    assert fare.std() == pytest.approx(1.0, abs=1e-3)
    assert fare[2] > fare[0] > fare[3] > fare[4]  # order of log1p(fare) is kept


def test_range_features_are_their_own_index(transformed):
    assert list(_column(transformed, "trip_start_hour")) == [0, 6, 12, 18, 23]


def test_hour_is_encoded_on_a_circle(transformed):
    sin = _column(transformed, "trip_start_hour_sin")
    cos = _column(transformed, "trip_start_hour_cos")
    assert np.allclose(sin**2 + cos**2, 1.0, atol=1e-5)
    assert sin[2] == pytest.approx(math.sin(math.pi), abs=1e-5)  # noon is opposite midnight
    assert cos[2] == pytest.approx(-1.0, abs=1e-5)


def test_missing_coordinate_gets_its_own_bucket(transformed, buckets):
    dropoff = _column(transformed, "dropoff_latitude")
    assert list(dropoff[2:]) == [buckets] * 3
    assert all(0 <= b < buckets for b in dropoff[:2])
    pickup = _column(transformed, "pickup_latitude")
    assert list(pickup) == sorted(pickup), "buckets follow the coordinate order"


def test_a_cross_combines_the_buckets_row_major(transformed, buckets):
    lat = _column(transformed, CELL[0])
    lon = _column(transformed, CELL[1])
    assert list(_column(transformed, "pickup_cell")) == list(lat * (buckets + 1) + lon)


def test_vocabulary_ranks_frequent_terms_first_and_maps_missing(transformed, taxi):
    payment = _column(transformed, "payment_type")
    assert list(payment) == [1, 1, 0, 0, 0]  # Cash (3 rows) before Credit Card (2)
    company = _column(transformed, "company")
    assert company[0] == company[1] == company[3] == 0  # Flash Cab, the most frequent
    assert len({company[2], company[4]}) == 2  # missing and Blue Ribbon: distinct terms
    vocabulary = taxi.spec.features["company"]
    assert company.max() < vocabulary.top_k + vocabulary.oov_buckets
