"""`preprocessing_fn` for TFX Transform: raw taxi columns -> model inputs.

Analyzers (quantiles, vocabularies, means) run on the train split only; the
same graph is attached to the served model, so serving applies exactly the
transformation training saw.
"""

from __future__ import annotations

import math

import tensorflow as tf
import tensorflow_transform as tft

from models import features as F


def _to_dense(x: tf.Tensor | tf.SparseTensor, default) -> tf.Tensor:
    """A rank-1 tensor with `default` where the optional raw value is missing.

    Required columns arrive dense with shape [batch, 1]; optional ones arrive
    as SparseTensors of dense shape [batch, 1].
    """
    if isinstance(x, tf.sparse.SparseTensor):
        x = tf.sparse.to_dense(tf.SparseTensor(x.indices, x.values, [x.dense_shape[0], 1]), default)
    return tf.reshape(x, [-1])


def _log_z_score(x: tf.Tensor) -> tf.Tensor:
    clipped = tf.maximum(tf.cast(x, tf.float32), 0.0)
    return tft.scale_to_z_score(tf.math.log1p(clipped))


def _bucketize_coordinate(raw: tf.Tensor | tf.SparseTensor) -> tf.Tensor:
    # Quantiles are computed on present values only; a missing coordinate
    # gets the extra bucket COORDINATE_BUCKETS.
    buckets = tft.bucketize(raw, F.COORDINATE_BUCKETS, elementwise=False)
    return tf.cast(_to_dense(buckets, F.COORDINATE_BUCKETS), tf.int64)


def _big_tipper(inputs) -> tf.Tensor:
    fare = _to_dense(inputs[F.FARE_KEY], 0.0)
    tips = _to_dense(inputs[F.TIPS_KEY], 0.0)
    return tf.cast(tips > fare * F.BIG_TIP_FRACTION, tf.int64)


def preprocessing_fn(inputs: dict) -> dict:
    """Transform raw features into the model's inputs and the label."""
    outputs = {}
    for key in F.LOG_NUMERIC_FEATURES:
        outputs[F.transformed_name(key)] = _log_z_score(_to_dense(inputs[key], 0))

    timestamp = tf.cast(_to_dense(inputs[F.TIMESTAMP_FEATURE], 0), tf.float32)
    outputs[F.transformed_name(F.TIMESTAMP_FEATURE)] = tft.scale_to_z_score(timestamp)

    for key in F.COORDINATE_FEATURES:
        outputs[F.transformed_name(key)] = _bucketize_coordinate(inputs[key])
    for cell, (lat, lon) in F.CROSSED_COORDINATES.items():
        lat_bucket = outputs[F.transformed_name(lat)]
        lon_bucket = outputs[F.transformed_name(lon)]
        outputs[F.transformed_name(cell)] = lat_bucket * F.coordinate_buckets() + lon_bucket

    for key, size in F.RANGE_FEATURES.items():
        value = tf.cast(_to_dense(inputs[key], 0), tf.int64)
        outputs[F.transformed_name(key)] = tf.clip_by_value(value, 0, size - 1)
    for key, period in F.CYCLIC_FEATURES.items():
        angle = tf.cast(_to_dense(inputs[key], 0), tf.float32) * (2.0 * math.pi / period)
        outputs[F.transformed_name(f"{key}_sin")] = tf.sin(angle)
        outputs[F.transformed_name(f"{key}_cos")] = tf.cos(angle)

    for key in F.VOCAB_FEATURES:
        raw = inputs[key]
        default = "" if raw.dtype == tf.string else -1
        outputs[F.transformed_name(key)] = tft.compute_and_apply_vocabulary(
            _to_dense(raw, default),
            top_k=F.VOCAB_SIZE,
            num_oov_buckets=F.OOV_BUCKETS,
            vocab_filename=key,
        )

    # The label is only computed when `tips` is fed (training, evaluation);
    # the served model gets no `tips` and Transform prunes this output.
    outputs[F.transformed_label()] = _big_tipper(inputs)
    return outputs
