"""The Keras model builds from the features module and learns."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from models import features as F
from models.model import OUTPUT_NAME, HParams, build_model, embedding_dim


def _batch(n: int, rng: np.random.Generator):
    x = {name: rng.normal(size=(n, 1)).astype("float32") for name in F.dense_float_features()}
    x.update(
        {name: rng.integers(0, size, size=(n, 1)) for name, size in F.categorical_buckets().items()}
    )
    # A label the network can learn: it follows the fare.
    y = (x[F.transformed_name("fare")][:, 0] > 0).astype("float32")
    return x, y


def test_model_takes_every_transformed_feature():
    model = build_model(HParams(hidden_units=(8,)))
    expected = set(F.dense_float_features()) | set(F.categorical_buckets())
    assert set(model.input_names) == expected
    assert model.output_names == [OUTPUT_NAME]


def test_model_fits_a_few_steps_and_outputs_probabilities():
    tf.keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    model = build_model(HParams(hidden_units=(16, 8), learning_rate=1e-2))
    x, y = _batch(512, rng)
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    model.fit(x, y, batch_size=64, epochs=5, verbose=0)
    after = model.evaluate(x, y, verbose=0, return_dict=True)
    assert after["loss"] < before["loss"]
    assert after["auc"] > 0.9
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (512, 1)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()


def test_embedding_dims_grow_slowly_and_are_capped():
    assert embedding_dim(8, 16) == 3
    assert embedding_dim(F.vocab_buckets(), 16) == 11
    assert embedding_dim(10**8, 16) == 16
    assert embedding_dim(1, 16) == 2
