"""The taxi dataset's hooks: its label, and the features no generic transform makes.

Named by `schemas/taxi/dataset.toml` (`hooks = "models.hooks.taxi"`). Both run
inside Transform's `preprocessing_fn` and are part of the served model's graph.
"""

from __future__ import annotations

import math

import tensorflow as tf

from models.features import transformed_name
from models.preprocessing import as_category, dense

# A trip is a "big tipper" when the tip is more than 20% of the fare.
BIG_TIP_FRACTION = 0.2
# Coordinates bucketized by the file's transform, crossed into grid cells so the
# model can learn places rather than two independent stripes.
CELLS = {
    "pickup_cell": ("pickup_latitude", "pickup_longitude"),
    "dropoff_cell": ("dropoff_latitude", "dropoff_longitude"),
}
# Hour of day is cyclic: 23h is next to 0h.
CYCLES = {"trip_start_hour": 24}
# What `features` adds, per raw column, for the model card's feature table.
FEATURE_NOTES = {
    **{column: "crossed into a grid cell" for cell in CELLS.values() for column in cell},
    **{column: "sine and cosine of the cycle" for column in CYCLES},
}


def big_tipper(inputs: dict) -> tf.Tensor:
    """1 when `tips > 0.2 * fare`, else 0 (tips are only known for training data)."""
    fare = dense(inputs["fare"], 0.0)
    tips = dense(inputs["tips"], 0.0)
    return tf.cast(tips > fare * BIG_TIP_FRACTION, tf.int64)


def features(inputs: dict, outputs: dict, spec) -> dict:
    """Grid cells of the bucketized coordinates, and the hour as a point on a circle.

    `outputs` holds what the file's transforms made of each column; the
    returned features are added to them.
    """
    added = {}
    for cell, (lat, lon) in CELLS.items():
        # A bucketized coordinate takes buckets + 1 values (the last: missing).
        size = spec.features[lat].buckets + 1
        cross = outputs[transformed_name(lat)] * size + outputs[transformed_name(lon)]
        added[transformed_name(cell)] = as_category(cross, size * size)
    for key, period in CYCLES.items():
        angle = tf.cast(dense(inputs[key], 0), tf.float32) * (2.0 * math.pi / period)
        added[transformed_name(f"{key}_sin")] = tf.sin(angle)
        added[transformed_name(f"{key}_cos")] = tf.cos(angle)
    return added
