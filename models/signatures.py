"""Serving signatures of the exported model.

- `serving_default`: raw features as named tensors, one value per example:
  what a REST client sends as JSON `{"instances": [{"fare": 12.5, ...}]}`.
  Optional columns are marked missing with NaN (floats), "" (strings) or a
  negative number (integers), the same values a CSV leaves empty.
- `serving_tf_example`: serialized `tf.Example`s, any subset of columns.
- `transform_features`: what TFMA calls to get the transformed label and
  features from raw examples.
All three share the Transform graph, so clients send raw columns only.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft

from models import features as F
from models import layout
from models.features import OUTPUT_NAME


def serving_feature_spec(tf_transform_output: tft.TFTransformOutput) -> dict:
    """Raw feature spec of the columns a served model needs (no label)."""
    raw = tf_transform_output.raw_feature_spec()
    return {name: raw[name] for name in F.raw_model_features()}


def _missing_mask(x: tf.Tensor) -> tf.Tensor:
    if x.dtype == tf.string:
        return tf.equal(x, "")
    if x.dtype.is_floating:
        return tf.math.is_nan(x)
    return x < 0


def _as_raw_input(x: tf.Tensor, spec) -> tf.Tensor | tf.SparseTensor:
    """Shape a batch of single values the way Transform's raw spec expects."""
    column = tf.reshape(x, [-1, 1])
    if isinstance(spec, tf.io.FixedLenFeature):
        return column
    present = tf.logical_not(_missing_mask(column))
    indices = tf.where(present)
    return tf.SparseTensor(indices, tf.gather_nd(column, indices), tf.shape(column, tf.int64))


def _probability(model, transformed: dict) -> dict:
    inputs = {name: transformed[name] for name in model.input_names}
    return {OUTPUT_NAME: tf.reshape(model(inputs, training=False), [-1])}


def make_signatures(model, tf_transform_output: tft.TFTransformOutput) -> dict:
    """The exported signatures, keyed by signature name."""
    # Attaching the layer to the model makes SavedModel track its assets.
    model.tft_layer = tf_transform_output.transform_features_layer()
    serving_spec = serving_feature_spec(tf_transform_output)
    raw_spec = tf_transform_output.raw_feature_spec()
    example_spec = {k: v for k, v in raw_spec.items() if k != F.TIPS_KEY}

    named_inputs = {
        name: tf.TensorSpec([None], spec.dtype, name=name) for name, spec in serving_spec.items()
    }

    @tf.function(input_signature=[named_inputs])
    def serve_raw_features(raw: dict) -> dict:
        features = {name: _as_raw_input(raw[name], spec) for name, spec in serving_spec.items()}
        return _probability(model, model.tft_layer(features))

    examples = tf.TensorSpec([None], tf.string, name="examples")

    @tf.function(input_signature=[examples])
    def serve_tf_examples(serialized: tf.Tensor) -> dict:
        features = tf.io.parse_example(serialized, example_spec)
        return _probability(model, model.tft_layer(features))

    @tf.function(input_signature=[examples])
    def transform_features(serialized: tf.Tensor) -> dict:
        features = tf.io.parse_example(serialized, raw_spec)
        return model.tft_layer(features)

    return {
        layout.SERVING_SIGNATURE: serve_raw_features.get_concrete_function(),
        layout.EXAMPLES_SIGNATURE: serve_tf_examples.get_concrete_function(),
        layout.TRANSFORM_SIGNATURE: transform_features.get_concrete_function(),
    }
