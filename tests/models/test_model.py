"""The Keras model builds from the transformed features and learns, for every task."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from models import features as F
from models.dataset import DatasetSpec
from models.hparams import HParams
from models.model import Inputs, LabelScale, build_model, embedding_dim

INPUTS = Inputs(dense=("fare_xf", "distance_xf"), categorical={"company_xf": 20, "hour_xf": 24})


def _spec(task: str, classes=()) -> DatasetSpec:
    return DatasetSpec(name="toy", task=task, label={"column": "y", "classes": classes})


def _batch(n: int, rng: np.random.Generator):
    x = {name: rng.normal(size=(n, 1)).astype("float32") for name in INPUTS.dense}
    x.update(
        {name: rng.integers(0, size, size=(n, 1)) for name, size in INPUTS.categorical.items()}
    )
    return x


def test_model_takes_every_transformed_feature():
    spec = _spec("binary", ("no", "yes"))
    model = build_model(INPUTS, spec, HParams(hidden_units=(8,)))
    assert set(model.input_names) == set(INPUTS.dense) | set(INPUTS.categorical)
    assert model.output_names == [F.prediction_key(spec)]


def test_binary_model_fits_a_few_steps_and_outputs_probabilities():
    tf.keras.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    model = build_model(
        INPUTS, _spec("binary", ("no", "yes")), HParams(hidden_units=(16, 8), learning_rate=1e-2)
    )
    x = _batch(512, rng)
    # A label the network can learn: it follows the fare.
    y = (x["fare_xf"][:, 0] > 0).astype("float32")
    before = model.evaluate(x, y, verbose=0, return_dict=True)
    model.fit(x, y, batch_size=64, epochs=5, verbose=0)
    after = model.evaluate(x, y, verbose=0, return_dict=True)
    assert after["loss"] < before["loss"]
    assert after["auc"] > 0.9
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (512, 1)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()


def test_multiclass_model_outputs_a_distribution_over_the_classes():
    tf.keras.utils.set_random_seed(2)
    rng = np.random.default_rng(0)
    spec = _spec("multiclass", ("a", "b", "c"))
    model = build_model(INPUTS, spec, HParams(hidden_units=(16,), learning_rate=1e-2))
    x = _batch(600, rng)
    y = np.digitize(x["fare_xf"][:, 0], [-0.5, 0.5])  # three classes from the fare
    model.fit(x, y, batch_size=64, epochs=8, verbose=0)
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (600, 3)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"] > 0.8


def test_regression_model_predicts_in_the_labels_units_from_the_start():
    tf.keras.utils.set_random_seed(3)
    rng = np.random.default_rng(0)
    x = _batch(512, rng)
    y = 4000.0 + 500.0 * x["fare_xf"][:, 0]  # a body mass in grams, say
    scale = LabelScale(mean=float(y.mean()), std=float(y.std()))
    model = build_model(INPUTS, _spec("regression"), HParams(hidden_units=(16,)), scale)
    untrained = model.predict(x, verbose=0).reshape(-1)
    assert abs(untrained.mean() - 4000.0) < 500.0, "the output starts at the label's scale"
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
    model.fit(x, y, batch_size=64, epochs=20, verbose=0)
    mae = np.abs(model.predict(x, verbose=0).reshape(-1) - y).mean()
    assert mae < 0.5 * np.abs(y - y.mean()).mean(), "better than predicting the mean"


def test_embedding_dims_grow_slowly_and_are_capped():
    assert embedding_dim(8, 16) == 3
    assert embedding_dim(1010, 16) == 11
    assert embedding_dim(10**8, 16) == 16
    assert embedding_dim(1, 16) == 2


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_a_classification_label_needs_its_classes(task):
    from models.dataset import DatasetError, parse

    with pytest.raises(DatasetError, match=r"label\.classes"):
        parse({"name": "toy", "task": task, "label": {"column": "y"}}, "toy.toml")
