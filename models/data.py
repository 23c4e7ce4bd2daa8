"""The transformed examples the Trainer and the Tuner train and validate on."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from tfx.components.trainer.fn_args_utils import DataAccessor
from tfx_bsl.public import tfxio

from models import features as F
from models.dataset import DatasetSpec
from models.model import LabelScale

# Batches of the train split a regression label's scale is estimated from.
SCALE_BATCHES = 20


def transformed_dataset(
    files: list[str],
    data_accessor: DataAccessor,
    tf_transform_output: tft.TFTransformOutput,
    spec: DatasetSpec,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int,
) -> tf.data.Dataset:
    """Batches of (transformed features, label); repeated forever when shuffled (training)."""
    options = tfxio.TensorFlowDatasetOptions(
        batch_size=batch_size,
        label_key=F.transformed_label(spec),
        shuffle=shuffle,
        shuffle_seed=seed,
        num_epochs=None if shuffle else 1,
    )
    return data_accessor.tf_dataset_factory(
        files, options, tf_transform_output.transformed_metadata.schema
    )


def label_scale(dataset: tf.data.Dataset, spec: DatasetSpec) -> LabelScale:
    """Mean and standard deviation of a regression label over the first batches of `dataset`."""
    if spec.task != "regression":
        return LabelScale()
    labels = np.concatenate([y.numpy().reshape(-1) for _, y in dataset.take(SCALE_BATCHES)])
    return LabelScale(mean=float(labels.mean()), std=float(labels.std()) or 1.0)
