"""`run_fn` for the TFX Trainer: fit on `train`, stop early on `validation`.

The `eval` split is never seen here; it is kept for the Evaluator, so the
blessing is decided on data the training loop did not select on.
"""

from __future__ import annotations

import dataclasses

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx.components.trainer.fn_args_utils import DataAccessor, FnArgs
from tfx_bsl.public import tfxio

from models import features as F
from models.model import HParams, build_model
from models.signatures import make_signatures
from models.tuning import hparams_from_tuner, write_hparams

# Steps between two looks at the validation split; early stopping counts these.
STEPS_PER_EPOCH = 100
PATIENCE_EPOCHS = 4


def _dataset(
    files: list[str],
    data_accessor: DataAccessor,
    tf_transform_output: tft.TFTransformOutput,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int,
) -> tf.data.Dataset:
    options = tfxio.TensorFlowDatasetOptions(
        batch_size=batch_size,
        label_key=F.transformed_label(),
        shuffle=shuffle,
        shuffle_seed=seed,
        num_epochs=None if shuffle else 1,
    )
    return data_accessor.tf_dataset_factory(
        files, options, tf_transform_output.transformed_metadata.schema
    )


def hparams_from(custom_config: dict | None) -> HParams:
    """HParams overridden by the `hparams` entry of the Trainer's custom_config."""
    overrides = dict((custom_config or {}).get("hparams", {}))
    if "hidden_units" in overrides:
        overrides["hidden_units"] = tuple(overrides["hidden_units"])
    return dataclasses.replace(HParams(), **overrides)


def run_fn(fn_args: FnArgs) -> None:
    """Train the model and export it with its serving signatures."""
    custom_config = fn_args.custom_config or {}
    seed = int(custom_config.get("seed", 0))
    keras.utils.set_random_seed(seed)
    # The Tuner's best trial, when the pipeline ran one, overrides the defaults.
    hparams = hparams_from_tuner(fn_args.hyperparameters, hparams_from(custom_config))

    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train = _dataset(
        fn_args.train_files,
        fn_args.data_accessor,
        tf_transform_output,
        hparams.batch_size,
        shuffle=True,
        seed=seed,
    )
    validation = _dataset(
        fn_args.eval_files,
        fn_args.data_accessor,
        tf_transform_output,
        hparams.batch_size,
        shuffle=False,
        seed=seed,
    ).cache()

    # Epoch lines go to the absl log (the run's log file), not to the
    # terminal where the runner prints one line per component.
    keras.utils.disable_interactive_logging()
    model = build_model(hparams)
    epochs = max(1, fn_args.train_steps // STEPS_PER_EPOCH)
    model.fit(
        train,
        epochs=epochs,
        steps_per_epoch=min(STEPS_PER_EPOCH, fn_args.train_steps),
        validation_data=validation,
        callbacks=[
            keras.callbacks.EarlyStopping(
                # Log loss, not AUC: AUC ignores calibration, and the blessing
                # also judges accuracy at the 0.5 threshold, which a model
                # kept for its AUC alone can miss by a point or two.
                monitor="val_loss",
                mode="min",
                patience=PATIENCE_EPOCHS,
                restore_best_weights=True,
            ),
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", mode="min", factor=0.5, patience=1, min_lr=1e-5
            ),
            keras.callbacks.TensorBoard(log_dir=fn_args.model_run_dir, update_freq="epoch"),
        ],
        verbose=2,
    )
    model.save(
        fn_args.serving_model_dir,
        save_format="tf",
        signatures=make_signatures(model, tf_transform_output),
        # Every layer is a built-in Keras layer, so `load_model` rebuilds the
        # network from its config; tracing each layer's call into the
        # SavedModel as well took 4-5 s more of the Trainer here, for nothing
        # TF Serving, TFMA or the tests read.
        save_traces=False,
    )
    write_hparams(fn_args.serving_model_dir, hparams, tuned=bool(fn_args.hyperparameters))
