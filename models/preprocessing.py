"""`preprocessing_fn` for TFX Transform: raw columns -> model inputs and the label.

Driven by the dataset's resolved spec (models/dataset.py), which arrives as
JSON in Transform's `custom_config`: each model feature gets the transform the
dataset file chose, the dataset's hooks add engineered features, and the label
is encoded for the task. Analyzers (means, quantiles, vocabularies) run on the
train split only; the same graph is attached to the served model, so serving
applies exactly the transformation training saw.

Categorical outputs carry their number of values in the transformed schema
(`as_category`), which is how the model sizes their embeddings.
"""

from __future__ import annotations

import importlib

import tensorflow as tf
import tensorflow_transform as tft
from tensorflow_transform import schema_inference

from models import features as F
from models.dataset import CUSTOM_CONFIG_KEY, DatasetSpec, Feature


def dense(x: tf.Tensor | tf.SparseTensor, default) -> tf.Tensor:
    """A rank-1 tensor with `default` where the optional raw value is missing.

    Required columns arrive dense with shape [batch, 1]; optional ones arrive
    as SparseTensors of dense shape [batch, 1].
    """
    if isinstance(x, tf.sparse.SparseTensor):
        x = tf.sparse.to_dense(tf.SparseTensor(x.indices, x.values, [x.dense_shape[0], 1]), default)
    return tf.reshape(x, [-1])


def as_category(x: tf.Tensor, size: int) -> tf.Tensor:
    """`x` as an int64 category in 0..size-1, with `size` recorded in the transformed schema."""
    category = tf.clip_by_value(tf.cast(x, tf.int64), 0, size - 1)
    schema_inference.set_tensor_schema_override(
        category, tf.constant(0, tf.int64), tf.constant(size - 1, tf.int64)
    )
    return category


def _present_values(x: tf.Tensor | tf.SparseTensor) -> tf.Tensor | tf.SparseTensor:
    """The column with its present values only, for analyzers that must skip missing ones."""
    if isinstance(x, tf.sparse.SparseTensor):
        return tf.SparseTensor(x.indices, tf.cast(x.values, tf.float32), x.dense_shape)
    return tf.cast(x, tf.float32)


def _zscore(x, *, log: bool) -> tf.Tensor:
    values = _present_values(x)
    if log:
        clipped = tf.maximum(values.values if isinstance(values, tf.SparseTensor) else values, 0.0)
        logged = tf.math.log1p(clipped)
        values = (
            tf.SparseTensor(values.indices, logged, values.dense_shape)
            if isinstance(values, tf.SparseTensor)
            else logged
        )
    # A missing value becomes 0 after scaling: the train mean.
    return dense(tft.scale_to_z_score(values), 0.0)


def _bucketize(x, feature: Feature) -> tf.Tensor:
    # Quantiles of the present values; a missing one gets the extra bucket `buckets`.
    bucketized = tft.bucketize(_present_values(x), feature.buckets, elementwise=False)
    return as_category(dense(bucketized, feature.buckets), feature.categories())


def _vocabulary(x, name: str, feature: Feature) -> tf.Tensor:
    raw = dense(x, "" if x.dtype == tf.string else -1)
    indices = tft.compute_and_apply_vocabulary(
        raw, top_k=feature.top_k, num_oov_buckets=feature.oov_buckets, vocab_filename=name
    )
    return as_category(indices, feature.categories())


def cross(outputs: dict, spec: DatasetSpec, columns: tuple[str, ...]) -> tf.Tensor:
    """One category per combination of `columns`' categories (row-major order)."""
    combined, size = None, 1
    for column in columns:
        categories = spec.features[column].categories()
        part = outputs[F.transformed_name(column)]
        combined = part if combined is None else combined * categories + part
        size *= categories
    return as_category(combined, size)


def transform_feature(x, name: str, feature: Feature) -> tf.Tensor:
    """One raw column, transformed as its `Feature` says."""
    if feature.transform in ("zscore", "log"):
        return _zscore(x, log=feature.transform == "log")
    if feature.transform == "bucketize":
        return _bucketize(x, feature)
    if feature.transform == "index":
        return as_category(dense(x, 0), feature.categories())
    if feature.transform == "vocabulary":
        return _vocabulary(x, name, feature)
    raise ValueError(f"unknown transform {feature.transform!r} for {name!r}")


def encode_label(raw: tf.Tensor, spec: DatasetSpec) -> tf.Tensor:
    """A label column as the task trains on it: a class index, or a float value."""
    if spec.task == "regression":
        return tf.cast(dense(raw, 0), tf.float32)
    values = dense(raw, "" if raw.dtype == tf.string else 0)
    if values.dtype == tf.string:
        text = values
    else:
        # shortest: a float label 2.0 reads "2", as init writes its class name.
        text = tf.strings.as_string(values, shortest=values.dtype.is_floating)
    classes = tf.constant(list(spec.class_names()))
    # The schema's domain keeps unknown classes out (the data gate blocks them).
    matches = tf.equal(tf.expand_dims(text, 1), tf.expand_dims(classes, 0))
    return tf.argmax(tf.cast(matches, tf.int64), axis=1)


def label_of(inputs: dict, spec: DatasetSpec, hooks) -> tf.Tensor:
    """The encoded label: the label column's, or the label hook's."""
    if spec.label.hook is not None:
        label = getattr(hooks, spec.label.hook)(inputs)
        return tf.cast(label, tf.float32 if spec.task == "regression" else tf.int64)
    return encode_label(inputs[spec.label.column], spec)


def transform_inputs(inputs: dict, spec: DatasetSpec) -> dict:
    """Every model input, the hooks' included, without the label."""
    hooks = importlib.import_module(spec.hooks) if spec.hooks else None
    outputs = {
        F.transformed_name(name): transform_feature(inputs[name], name, feature)
        for name, feature in spec.features.items()
    }
    for name, columns in spec.crosses.items():
        outputs[F.transformed_name(name)] = cross(outputs, spec, columns)
    if hooks is not None and hasattr(hooks, "features"):
        outputs.update(hooks.features(inputs, outputs, spec))
    return outputs


def preprocessing_fn(inputs: dict, custom_config: dict) -> dict:
    """Transform raw features into the model's inputs and the label."""
    spec = DatasetSpec.from_json(custom_config[CUSTOM_CONFIG_KEY])
    outputs = transform_inputs(inputs, spec)
    # The label is only computed when its columns are fed (training, evaluation);
    # the served model gets none of them and Transform prunes this output.
    if all(name in inputs for name in spec.label_inputs()):
        hooks = importlib.import_module(spec.hooks) if spec.hooks else None
        outputs[F.transformed_label(spec)] = label_of(inputs, spec, hooks)
    return outputs
