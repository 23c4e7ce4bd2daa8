"""Model selection: `tuner_fn` for TFX's Tuner, its search space, and what the Trainer used.

Each trial builds `models.model.build_model(HParams)`, so the network the
Tuner scores is the one the Trainer trains with the best trial's values.
`hparams_from_tuner` turns the Tuner's `best_hyperparameters` (a KerasTuner
config) back into `HParams` (models/hparams.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from models.hparams import HParams

# The trial's validation loss: what the Trainer's early stopping watches.
OBJECTIVE = "val_loss"
PROJECT_NAME = "taxi_tuning"

# The search space: every value here is an `HParams` field or maps onto one.
WIDTHS = (64, 128, 256)  # units of the first hidden layer; each next layer halves
DEPTHS = (1, 3)  # number of hidden layers, inclusive
LEARNING_RATES = (1e-4, 1e-2)  # log-uniform
EMBEDDING_CAPS = (4, 8, 16, 32)  # HParams.max_embedding_dim
DROPOUTS = (0.0, 0.5, 0.1)  # min, max, step
MIN_LAYER_UNITS = 16


def search_space():
    """The KerasTuner hyperparameters every trial samples from."""
    import keras_tuner as kt

    hp = kt.HyperParameters()
    hp.Choice("width", list(WIDTHS))
    hp.Int("depth", DEPTHS[0], DEPTHS[1])
    hp.Float("learning_rate", LEARNING_RATES[0], LEARNING_RATES[1], sampling="log")
    hp.Choice("max_embedding_dim", list(EMBEDDING_CAPS))
    hp.Float("dropout", DROPOUTS[0], DROPOUTS[1], step=DROPOUTS[2])
    return hp


def hidden_units(width: int, depth: int) -> tuple[int, ...]:
    """A funnel like the default network's: each layer half the one before."""
    return tuple(max(MIN_LAYER_UNITS, width // 2**i) for i in range(depth))


def hparams_from_values(values: Mapping, base: HParams | None = None) -> HParams:
    """`base` (default: HParams()) with a trial's values (names from `search_space`) applied."""
    expected = {"width", "depth", "learning_rate", "max_embedding_dim", "dropout"}
    missing = expected - set(values)
    if missing:
        raise ValueError(
            f"tuned hyperparameters lack {sorted(missing)} (got {sorted(values)}): "
            "were they produced by models.tuning.tuner_fn?"
        )
    return dataclasses.replace(
        base or HParams(),
        hidden_units=hidden_units(int(values["width"]), int(values["depth"])),
        learning_rate=float(values["learning_rate"]),
        max_embedding_dim=int(values["max_embedding_dim"]),
        dropout=float(values["dropout"]),
    )


def hparams_from_tuner(config: Mapping | None, base: HParams) -> HParams:
    """`base` overridden by the Tuner's best hyperparameters (`fn_args.hyperparameters`).

    `config` is a KerasTuner `HyperParameters.get_config()` dict, or None when
    the pipeline ran without the Tuner.
    """
    if not config:
        return base
    import keras_tuner as kt

    return hparams_from_values(kt.HyperParameters.from_config(dict(config)).values, base)


def _tuner_class(build):
    """A KerasTuner tuner that trains tf_keras (Keras 2) models.

    KerasTuner's Keras tuners (RandomSearch, Hyperband) check that a trial's
    model is a Keras 3 model, which the project's tf_keras network is not;
    a `BaseTuner` with its own `run_trial` (KerasTuner's way to tune a custom
    training loop) searches the same oracle without that check. Summaries go
    to the log, not to the terminal where the runner prints its progress.
    `build(hparams)` returns the compiled model a trial trains.
    """
    import keras_tuner as kt
    import tf_keras as keras
    from absl import logging

    class KerasTwoSearch(kt.engine.base_tuner.BaseTuner):
        def run_trial(
            self, trial, *, x, validation_data, steps_per_epoch, epochs, callbacks, verbose=0
        ):
            keras.backend.clear_session()
            model = build(hparams_from_values(trial.hyperparameters.values))
            history = model.fit(
                x,
                validation_data=validation_data,
                steps_per_epoch=steps_per_epoch,
                epochs=epochs,
                callbacks=list(callbacks),
                verbose=verbose,
            )
            best = min(history.history[OBJECTIVE])
            logging.info("Trial %s: best %s %.4f", trial.trial_id, OBJECTIVE, best)
            return {OBJECTIVE: best}

        def search_space_summary(self, extended=False):
            logging.info("Search space: %s", self.oracle.get_space().get_config())

        def results_summary(self, num_trials=10):
            for t in self.oracle.get_best_trials(num_trials):
                logging.info("Trial %s score %s: %s", t.trial_id, t.score, t.hyperparameters.values)

    return KerasTwoSearch


def tuner_fn(fn_args):
    """The TFX Tuner's entry point: a random search over `search_space()`.

    The budget (`max_trials`) and seed come from the component's custom_config;
    each trial trains `fn_args.train_steps` steps on `train` and is scored by
    its lowest log loss on `validation`, with the Trainer's early stopping.
    """
    import keras_tuner as kt
    import tensorflow_transform as tft
    import tf_keras as keras
    from tfx.components.tuner.component import TunerFnResult

    from models.data import label_scale, transformed_dataset
    from models.dataset import CUSTOM_CONFIG_KEY, DatasetSpec
    from models.hparams import PATIENCE_EPOCHS, STEPS_PER_EPOCH
    from models.model import Inputs, build_model, skip_autograph_for_tf_keras

    custom_config = fn_args.custom_config or {}
    spec = DatasetSpec.from_json(custom_config[CUSTOM_CONFIG_KEY])
    seed = int(custom_config.get("seed", 0))
    keras.utils.set_random_seed(seed)
    skip_autograph_for_tf_keras()
    base = HParams()
    tf_transform_output = tft.TFTransformOutput(fn_args.transform_graph_path)
    inputs = Inputs.from_schema(tf_transform_output.transformed_metadata.schema, spec)

    def dataset(files, *, shuffle: bool):
        return transformed_dataset(
            files,
            fn_args.data_accessor,
            tf_transform_output,
            spec,
            base.batch_size,
            shuffle=shuffle,
            seed=seed,
        )

    train = dataset(fn_args.train_files, shuffle=True)
    scale = label_scale(train, spec)

    def build(hparams: HParams):
        return build_model(inputs, spec, hparams, scale)

    oracle = kt.oracles.RandomSearchOracle(
        objective=kt.Objective(OBJECTIVE, direction="min"),
        max_trials=int(custom_config.get("max_trials", 2)),
        hyperparameters=search_space(),
        seed=seed,
    )
    tuner = _tuner_class(build)(
        oracle=oracle,
        directory=fn_args.working_dir,
        project_name=PROJECT_NAME,
        overwrite=True,
    )
    steps = fn_args.train_steps
    return TunerFnResult(
        tuner=tuner,
        fit_kwargs={
            "x": train,
            "validation_data": dataset(fn_args.eval_files, shuffle=False).cache(),
            "steps_per_epoch": min(STEPS_PER_EPOCH, steps),
            "epochs": max(1, steps // STEPS_PER_EPOCH),
            "callbacks": [
                keras.callbacks.EarlyStopping(
                    monitor=OBJECTIVE, mode="min", patience=PATIENCE_EPOCHS
                )
            ],
            # Also the oracle's: no trial tables printed to the runner's terminal.
            "verbose": 0,
        },
    )
