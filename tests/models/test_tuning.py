"""The Tuner's search space and how its result becomes the Trainer's HParams."""

from __future__ import annotations

import dataclasses

import keras_tuner as kt
import pytest

from models import tuning
from models.dataset import DatasetSpec
from models.hparams import HParams
from models.model import Inputs, build_model


def test_every_trial_value_maps_onto_hparams():
    values = {
        "width": 128,
        "depth": 3,
        "learning_rate": 3e-4,
        "max_embedding_dim": 8,
        "dropout": 0.1,
    }
    hparams = tuning.hparams_from_values(values, HParams(batch_size=64))
    assert hparams == HParams(
        hidden_units=(128, 64, 32),
        dropout=0.1,
        learning_rate=3e-4,
        max_embedding_dim=8,
        batch_size=64,  # not tuned: kept from the base
    )


def test_the_funnel_never_gets_narrower_than_the_minimum():
    assert tuning.hidden_units(64, 3) == (64, 32, tuning.MIN_LAYER_UNITS)
    assert tuning.hidden_units(256, 1) == (256,)


def test_the_best_hyperparameters_config_round_trips_into_the_network_it_describes():
    hp = tuning.search_space()
    hp.values.update({"width": 64, "depth": 2, "max_embedding_dim": 4})
    # What TFX's Tuner writes and the Trainer reads back (fn_args.hyperparameters).
    config = kt.HyperParameters.from_config(hp.get_config()).get_config()
    hparams = tuning.hparams_from_tuner(config, HParams())
    assert hparams.hidden_units == (64, 32)
    spec = DatasetSpec(name="toy", task="binary", label={"column": "y", "classes": ("n", "y")})
    inputs = Inputs(dense=("fare_xf",), categorical={"company_xf": 1010, "hour_xf": 24})
    model = build_model(inputs, spec, hparams)
    dense = [layer.units for layer in model.layers if layer.name.startswith("dense_")]
    assert dense == [64, 32]
    embeddings = [layer.output_dim for layer in model.layers if layer.name.endswith("_embedding")]
    assert max(embeddings) == 4


def test_without_a_tuner_the_trainer_keeps_its_settings():
    base = dataclasses.replace(HParams(), dropout=0.3)
    assert tuning.hparams_from_tuner(None, base) is base
    assert tuning.hparams_from_tuner({}, base) is base


def test_values_from_another_search_space_are_refused():
    with pytest.raises(ValueError, match=r"lack \['depth', 'width'\]"):
        tuning.hparams_from_values({"learning_rate": 0.1, "max_embedding_dim": 4, "dropout": 0})
