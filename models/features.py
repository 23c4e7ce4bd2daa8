"""Every fact about the taxi features, in one place.

Transform, the model, the serving signatures, the evaluator and the tests all
import from here. Raw *types* are not repeated here: they live in the curated
schema (`schemas/schema.pbtxt`), which Transform turns into the raw feature
spec that every signature is built from.
"""

from __future__ import annotations

import math

# The label is derived in Transform: a trip is a "big tipper" when the tip is
# more than 20% of the fare. `tips` itself is never a model input.
TIPS_KEY = "tips"
FARE_KEY = "fare"
BIG_TIP_FRACTION = 0.2
LABEL_KEY = "big_tipper"
# What every signature of the served model answers: the probability of a big tip.
OUTPUT_NAME = "big_tipper_probability"

# Skewed, non-negative amounts: log1p, then z-score.
LOG_NUMERIC_FEATURES = ("fare", "trip_miles", "trip_seconds")

# Time as a continuous trend (z-scored seconds since epoch).
TIMESTAMP_FEATURE = "trip_start_timestamp"

# Coordinates are bucketized on train quantiles; a missing coordinate gets a
# bucket of its own (index COORDINATE_BUCKETS).
COORDINATE_BUCKETS = 16
PICKUP_COORDINATES = ("pickup_latitude", "pickup_longitude")
DROPOFF_COORDINATES = ("dropoff_latitude", "dropoff_longitude")
COORDINATE_FEATURES = PICKUP_COORDINATES + DROPOFF_COORDINATES

# Latitude bucket x longitude bucket: a grid cell, so the model can learn
# places rather than two independent stripes.
CROSSED_COORDINATES = {
    "pickup_cell": PICKUP_COORDINATES,
    "dropoff_cell": DROPOFF_COORDINATES,
}

# Small integer categories with a known range: value -> index directly.
# Sizes are max value + 1 so the raw value is its own index.
RANGE_FEATURES = {
    "trip_start_hour": 24,
    "trip_start_day": 8,  # 1..7
    "trip_start_month": 13,  # 1..12
    # Chicago's 77 community areas (the schema's domain); a missing one is 0.
    # Indexed directly rather than by a vocabulary: each vocabulary adds its
    # own Beam stages to every Transform run.
    "pickup_community_area": 78,
    "dropoff_community_area": 78,
}

# Hour of day is cyclic: 23h is next to 0h.
CYCLIC_FEATURES = {"trip_start_hour": 24}

# Open-ended categories: vocabulary on train (top VOCAB_SIZE) plus hashed
# out-of-vocabulary buckets, so a new company still gets a learned slot.
VOCAB_FEATURES = (
    "payment_type",
    "company",
    "dropoff_census_tract",
)
VOCAB_SIZE = 1000
OOV_BUCKETS = 10

# Columns of the CSV the model does not use: pickup_census_tract is missing
# in all but one row of the sample.
UNUSED_FEATURES = ("pickup_census_tract",)

# How `serving_default` (named raw tensors, no way to omit one) is told that
# an optional value is missing: the same values an empty CSV cell becomes.
MISSING_FLOAT = math.nan
MISSING_STRING = ""
MISSING_INT = -1  # any negative integer

# Slices the evaluator reports on (raw feature names).
SLICE_FEATURES = ("trip_start_hour", "payment_type", "company")
# Slices whose error rates the fairness check compares (pipeline/fairness.py).
FAIRNESS_SLICE_FEATURES = ("payment_type", "company")


def transformed_name(key: str) -> str:
    """Name of the Transform output derived from raw feature `key`."""
    return f"{key}_xf"


def raw_model_features() -> tuple[str, ...]:
    """Raw columns a served model needs, in a stable order."""
    return (
        *LOG_NUMERIC_FEATURES,
        TIMESTAMP_FEATURE,
        *COORDINATE_FEATURES,
        *RANGE_FEATURES,
        *VOCAB_FEATURES,
    )


def vocab_buckets() -> int:
    """Number of indices a vocabulary feature can take (terms + OOV)."""
    return VOCAB_SIZE + OOV_BUCKETS


def coordinate_buckets() -> int:
    """Indices of a bucketized coordinate, including the missing bucket."""
    return COORDINATE_BUCKETS + 1


def categorical_buckets() -> dict[str, int]:
    """Transformed integer feature name -> number of indices it can take."""
    sizes = {transformed_name(k): n for k, n in RANGE_FEATURES.items()}
    sizes.update({transformed_name(k): vocab_buckets() for k in VOCAB_FEATURES})
    sizes.update({transformed_name(k): coordinate_buckets() for k in COORDINATE_FEATURES})
    sizes.update({transformed_name(k): coordinate_buckets() ** 2 for k in CROSSED_COORDINATES})
    return sizes


def dense_float_features() -> tuple[str, ...]:
    """Transformed float features fed to the network as they are."""
    names = [transformed_name(k) for k in LOG_NUMERIC_FEATURES]
    names.append(transformed_name(TIMESTAMP_FEATURE))
    for key in CYCLIC_FEATURES:
        names += [transformed_name(f"{key}_sin"), transformed_name(f"{key}_cos")]
    return tuple(names)


def transformed_label() -> str:
    return transformed_name(LABEL_KEY)
