"""The transformed examples the Trainer and the Tuner train and validate on."""

from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft
from tfx.components.trainer.fn_args_utils import DataAccessor
from tfx_bsl.public import tfxio

from models import features as F


def transformed_dataset(
    files: list[str],
    data_accessor: DataAccessor,
    tf_transform_output: tft.TFTransformOutput,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int,
) -> tf.data.Dataset:
    """Batches of (transformed features, label); repeated forever when shuffled (training)."""
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
