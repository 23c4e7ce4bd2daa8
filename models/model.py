"""The Keras network: transformed features in, probability of a big tip out.

Keras 2 (`tf_keras`) on purpose: TFT and TFMA build and load tf-keras
objects, and mixing them with Keras 3 layers breaks the exported graph.
"""

from __future__ import annotations

import tensorflow as tf
import tf_keras as keras

from models import features as F
from models.features import OUTPUT_NAME
from models.hparams import HParams


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


def _inputs() -> dict[str, keras.Input]:
    inputs = {
        name: keras.Input(shape=(1,), name=name, dtype=tf.float32)
        for name in F.dense_float_features()
    }
    inputs.update(
        {
            name: keras.Input(shape=(1,), name=name, dtype=tf.int64)
            for name in F.categorical_buckets()
        }
    )
    return inputs


def build_model(hparams: HParams = HParams()) -> keras.Model:
    """A compiled deep model over every transformed feature."""
    skip_autograph_for_tf_keras()
    inputs = _inputs()
    parts = [inputs[name] for name in F.dense_float_features()]
    for name, buckets in F.categorical_buckets().items():
        dim = embedding_dim(buckets, hparams.max_embedding_dim)
        embedded = keras.layers.Embedding(buckets, dim, name=f"{name}_embedding")(inputs[name])
        parts.append(keras.layers.Flatten(name=f"{name}_flat")(embedded))

    x = keras.layers.Concatenate(name="features")(parts)
    for i, units in enumerate(hparams.hidden_units):
        x = keras.layers.Dense(units, use_bias=False, name=f"dense_{i}")(x)
        x = keras.layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        x = keras.layers.Activation("relu", name=f"relu_{i}")(x)
        x = keras.layers.Dropout(hparams.dropout, name=f"dropout_{i}")(x)
    output = keras.layers.Dense(1, activation="sigmoid", name=OUTPUT_NAME)(x)

    model = keras.Model(inputs=inputs, outputs=output, name="big_tipper")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=hparams.learning_rate),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="accuracy")],
    )
    return model
