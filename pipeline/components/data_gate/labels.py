"""The training split's labels, computed as Transform computes them.

A label with a single class (or, for regression, a single value) gives the
model nothing to learn: training "succeeds" with a constant predictor and the
run fails later (Attributions, the Evaluator's per-class metrics). Statistics
cannot show it when the label is derived (taxi's `tips > 0.2 * fare`), so the
gate reads the label's input columns from the train split and runs the same
`models.preprocessing.label_of` Transform runs.
"""

from __future__ import annotations

import importlib
import os

import numpy as np

from models.dataset import DatasetSpec

BATCH = 4096


def train_labels(split_uri: str, schema, spec: DatasetSpec) -> np.ndarray:
    """Every example's encoded label in the split at `split_uri` (TFRecord, gzip)."""
    import tensorflow as tf
    from tensorflow_transform.tf_metadata import schema_utils
    from tfx.dsl.io import fileio

    from models.preprocessing import label_of

    feature_spec = schema_utils.schema_as_feature_spec(schema).feature_spec
    wanted = {name: feature_spec[name] for name in spec.label_inputs()}
    files = sorted(fileio.glob(os.path.join(split_uri, "*")))
    if not files:
        return np.array([])
    hooks = importlib.import_module(spec.hooks) if spec.hooks else None
    records = tf.data.TFRecordDataset(files, compression_type="GZIP").batch(BATCH)
    labels = [
        label_of(tf.io.parse_example(batch, wanted), spec, hooks).numpy().ravel()
        for batch in records
    ]
    return np.concatenate(labels) if labels else np.array([])
