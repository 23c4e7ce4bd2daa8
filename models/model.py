"""The Keras network: transformed features in, the task's prediction out.

Its inputs come from the transformed schema: float features go in as they
are, categorical ones (an int64 with a domain, `preprocessing.as_category`)
through embeddings sized by their number of values. The head follows the task:
a sigmoid probability (binary), a softmax over the classes (multi-class), or a
value in the label's own units (regression).

Keras 2 (`tf_keras`) on purpose: TFT and TFMA build and load tf-keras
objects, and mixing them with Keras 3 layers breaks the exported graph.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf
import tf_keras as keras
from tensorflow_metadata.proto.v0 import schema_pb2

from models import features as F
from models.dataset import DatasetSpec
from models.hparams import HParams


@dataclasses.dataclass(frozen=True)
class Inputs:
    """The transformed features the network reads, by kind."""

    dense: tuple[str, ...]
    categorical: dict[str, int]  # name -> number of values

    @classmethod
    def from_schema(cls, transformed: schema_pb2.Schema, spec: DatasetSpec) -> Inputs:
        """Every transformed feature but the label, in schema order."""
        label = F.transformed_label(spec)
        dense, categorical = [], {}
        for feature in transformed.feature:
            if feature.name == label:
                continue
            if feature.type == schema_pb2.INT and feature.HasField("int_domain"):
                categorical[feature.name] = int(feature.int_domain.max) + 1
            else:
                dense.append(feature.name)
        return cls(dense=tuple(dense), categorical=categorical)


@dataclasses.dataclass(frozen=True)
class LabelScale:
    """Mean and spread of a regression label on the train split: the network predicts
    in these units, so its output layer starts near the right values."""

    mean: float = 0.0
    std: float = 1.0


def skip_autograph_for_tf_keras() -> None:
    """Treat tf_keras like TensorFlow treats `keras`: as library code.

    Autograph's built-in rules skip modules named `keras` but not `tf_keras`
    (the same Keras 2 code under another name), so the first `fit` and every
    signature export would transpile all of tf_keras, a large share of a
    Trainer run (docs/benchmarks.md). Idempotent.
    """
    from tensorflow.python.autograph.core import config as autograph_config

    rules = autograph_config.CONVERSION_RULES
    if not any(getattr(rule, "_prefix", None) == "tf_keras" for rule in rules):
        autograph_config.CONVERSION_RULES = (autograph_config.DoNotConvert("tf_keras"), *rules)


def embedding_dim(buckets: int, cap: int) -> int:
    """Rule of thumb: about 2 * buckets ** 0.25, at least 2 and at most `cap`."""
    return max(2, min(cap, round(2 * buckets**0.25)))


def _keras_inputs(inputs: Inputs) -> dict[str, keras.Input]:
    layers = {name: keras.Input(shape=(1,), name=name, dtype=tf.float32) for name in inputs.dense}
    layers.update(
        {name: keras.Input(shape=(1,), name=name, dtype=tf.int64) for name in inputs.categorical}
    )
    return layers


def _head(x, spec: DatasetSpec, scale: LabelScale):
    """(output tensor, loss, metrics) of the task."""
    name = F.prediction_key(spec)
    if spec.task == "binary":
        output = keras.layers.Dense(1, activation="sigmoid", name=name)(x)
        metrics = [keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")]
        return output, keras.losses.BinaryCrossentropy(), metrics
    if spec.task == "multiclass":
        output = keras.layers.Dense(spec.num_classes, activation="softmax", name=name)(x)
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
        return output, keras.losses.SparseCategoricalCrossentropy(), metrics
    standardized = keras.layers.Dense(1, name=f"{name}_standardized")(x)
    output = keras.layers.Rescaling(scale.std, offset=scale.mean, name=name)(standardized)
    metrics = [
        keras.metrics.RootMeanSquaredError(name="rmse"),
        keras.metrics.MeanAbsoluteError(name="mae"),
    ]
    return output, keras.losses.MeanSquaredError(), metrics


def build_model(
    inputs: Inputs,
    spec: DatasetSpec,
    hparams: HParams = HParams(),
    scale: LabelScale = LabelScale(),
) -> keras.Model:
    """A compiled deep model over every transformed feature."""
    skip_autograph_for_tf_keras()
    layers = _keras_inputs(inputs)
    parts = [layers[name] for name in inputs.dense]
    for name, buckets in inputs.categorical.items():
        dim = embedding_dim(buckets, hparams.max_embedding_dim)
        embedded = keras.layers.Embedding(buckets, dim, name=f"{name}_embedding")(layers[name])
        parts.append(keras.layers.Flatten(name=f"{name}_flat")(embedded))

    x = keras.layers.Concatenate(name="features")(parts) if len(parts) > 1 else parts[0]
    for i, units in enumerate(hparams.hidden_units):
        x = keras.layers.Dense(units, use_bias=False, name=f"dense_{i}")(x)
        x = keras.layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        x = keras.layers.Activation("relu", name=f"relu_{i}")(x)
        x = keras.layers.Dropout(hparams.dropout, name=f"dropout_{i}")(x)
    output, loss, metrics = _head(x, spec, scale)

    model = keras.Model(inputs=layers, outputs=output, name=spec.label.key)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=hparams.learning_rate),
        loss=loss,
        metrics=metrics,
    )
    return model
