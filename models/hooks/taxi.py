"""The taxi dataset's hooks: its label, and the feature no generic transform makes.

Named by `schemas/taxi/dataset.toml` (`hooks = "models.hooks.taxi"`). Both run
inside Transform's `preprocessing_fn` and are part of the served model's graph.
"""

from __future__ import annotations

import math

import tensorflow as tf

from models.features import transformed_name
from models.preprocessing import dense

# A trip is a "big tipper" when the tip is more than 20% of the fare.
BIG_TIP_FRACTION = 0.2
# Hour of day is cyclic: 23h is next to 0h.
CYCLES = {"trip_start_hour": 24}
# What `features` adds, per raw column, for the model card's feature table.
FEATURE_NOTES = {column: "sine and cosine of the cycle" for column in CYCLES}


def big_tipper(inputs: dict) -> tf.Tensor:
    """1 when `tips > 0.2 * fare`, else 0 (tips are only known for training data)."""
    fare = dense(inputs["fare"], 0.0)
    tips = dense(inputs["tips"], 0.0)
    return tf.cast(tips > fare * BIG_TIP_FRACTION, tf.int64)


def features(inputs: dict, outputs: dict, spec) -> dict:
    """The hour as a point on a circle (the coordinates' grid cells are crosses in the
    dataset file).

    `outputs` holds what the file's transforms made of each column; the
    returned features are added to them.
    """
    added = {}
    for key, period in CYCLES.items():
        angle = tf.cast(dense(inputs[key], 0), tf.float32) * (2.0 * math.pi / period)
        added[transformed_name(f"{key}_sin")] = tf.sin(angle)
        added[transformed_name(f"{key}_cos")] = tf.cos(angle)
    return added
