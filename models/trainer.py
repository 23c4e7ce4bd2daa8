"""`run_fn` for the TFX Trainer: fit on `train`, stop early on `validation`.

The `eval` split is never seen here; it is kept for the Evaluator, so the
blessing is decided on data the training loop did not select on.
"""

from __future__ import annotations

import os

import tensorflow_transform as tft
import tf_keras as keras
from tfx.components.trainer.fn_args_utils import FnArgs

from models import layout
from models.data import label_scale, transformed_dataset
from models.dataset import CUSTOM_CONFIG_KEY, DatasetSpec
from models.hparams import PATIENCE_EPOCHS, STEPS_PER_EPOCH, hparams_from, write_hparams
from models.model import Inputs, build_model
from models.signatures import make_signatures, mark_api_signatures
from models.tuning import hparams_from_tuner


def write_dataset(model_dir: str, spec: DatasetSpec) -> str:
    """Record in the SavedModel which dataset spec it was trained on."""
    from tfx.utils import io_utils

    path = os.path.join(model_dir, layout.DATASET_FILE)
    io_utils.write_string_file(path, spec.model_dump_json(indent=1))
    return path


def run_fn(fn_args: FnArgs) -> None:
    """Train the model and export it with its serving signatures."""
    custom_config = fn_args.custom_config or {}
    spec = DatasetSpec.from_json(custom_config[CUSTOM_CONFIG_KEY])
    seed = int(custom_config.get("seed", 0))
    keras.utils.set_random_seed(seed)
    # The Tuner's best trial, when the pipeline ran one, overrides the defaults.
    hparams = hparams_from_tuner(fn_args.hyperparameters, hparams_from(custom_config))

    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train = transformed_dataset(
        fn_args.train_files,
        fn_args.data_accessor,
        tf_transform_output,
        spec,
        hparams.batch_size,
        shuffle=True,
        seed=seed,
    )
    validation = transformed_dataset(
        fn_args.eval_files,
        fn_args.data_accessor,
        tf_transform_output,
        spec,
        hparams.batch_size,
        shuffle=False,
        seed=seed,
    ).cache()

    # Epoch lines go to the absl log (the run's log file), not to the
    # terminal where the runner prints one line per component.
    keras.utils.disable_interactive_logging()
    inputs = Inputs.from_schema(tf_transform_output.transformed_metadata.schema, spec)
    model = build_model(inputs, spec, hparams, label_scale(train, spec))
    epochs = max(1, fn_args.train_steps // STEPS_PER_EPOCH)
    model.fit(
        train,
        epochs=epochs,
        steps_per_epoch=min(STEPS_PER_EPOCH, fn_args.train_steps),
        validation_data=validation,
        callbacks=[
            keras.callbacks.EarlyStopping(
                # The loss, not AUC or accuracy: they ignore calibration, and a
                # model kept for them alone can miss the blessing's other bars.
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
        signatures=make_signatures(model, tf_transform_output, spec),
        # Every layer is a built-in Keras layer, so `load_model` rebuilds the
        # network from its config; tracing each layer's call into the
        # SavedModel as well costs Trainer time (docs/benchmarks.md) for
        # nothing TF Serving, TFMA or the tests read.
        save_traces=False,
    )
    mark_api_signatures(fn_args.serving_model_dir)
    write_hparams(fn_args.serving_model_dir, hparams, tuned=bool(fn_args.hyperparameters))
    write_dataset(fn_args.serving_model_dir, spec)
