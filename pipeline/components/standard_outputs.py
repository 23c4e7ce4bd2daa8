"""Readers of what TFX's standard components write: statistics, anomalies, schema, tuner trials.

The custom components read these as inputs, and the readers of a finished run
(`pipeline.metadata`, the reports, the model card) read them as results; both
go through these functions so that the file layouts are known in one place.
"""

from __future__ import annotations

import json
import os

# What TFX's Tuner executor names its trial summary (a private name in TFX).
TUNER_RESULTS_FILE = "tuner_results.json"


def split_names(artifact) -> list[str]:
    """The splits (train, eval, ...) a multi-split artifact holds."""
    from tfx.types import artifact_utils

    return artifact_utils.decode_split_names(artifact.split_names)


def split_statistics(statistics_uri: str, split: str):
    """The TFDV statistics of one split, from a StatisticsGen output folder."""
    import tensorflow_data_validation as tfdv
    from tfx.components.statistics_gen.executor import DEFAULT_FILE_NAME

    return tfdv.load_stats_binary(os.path.join(statistics_uri, f"Split-{split}", DEFAULT_FILE_NAME))


def statistics_by_split(artifact) -> dict:
    """Split name -> DatasetFeatureStatisticsList of an ExampleStatistics artifact."""
    return {split: split_statistics(artifact.uri, split) for split in split_names(artifact)}


def row_counts(statistics_by_split_: dict) -> dict[str, int]:
    """Split name -> examples counted by StatisticsGen."""
    return {
        split: sum(d.num_examples for d in stats.datasets)
        for split, stats in statistics_by_split_.items()
    }


def anomalies_by_split(artifact) -> dict:
    """Split name -> TFDV Anomalies of an ExampleAnomalies artifact."""
    from tensorflow_metadata.proto.v0 import anomalies_pb2
    from tfx.components.example_validator.executor import DEFAULT_FILE_NAME
    from tfx.utils import io_utils

    return {
        split: anomalies_pb2.Anomalies.FromString(
            io_utils.read_bytes_file(
                os.path.join(artifact.uri, f"Split-{split}", DEFAULT_FILE_NAME)
            )
        )
        for split in split_names(artifact)
    }


def read_schema(artifact):
    """The schema a Schema artifact holds."""
    from tfx.utils import io_utils

    return io_utils.SchemaReader().read(io_utils.get_only_uri_in_dir(artifact.uri))


def tuner_trials(artifact) -> list[dict]:
    """The Tuner's trials, best first: {"trial_id", "score", hyperparameter values}."""
    from tfx.utils import io_utils

    path = os.path.join(artifact.uri, TUNER_RESULTS_FILE)
    return json.loads(io_utils.read_string_file(path))


def serialized_examples(examples_uri: str, split: str, limit: int) -> list[bytes]:
    """Up to `limit` serialized tf.Examples of `split` of an Examples artifact (ExampleGen's)."""
    import glob

    import tensorflow as tf

    files = sorted(glob.glob(os.path.join(examples_uri, f"Split-{split}", "*")))
    if not files:
        raise FileNotFoundError(f"no {split} split under {examples_uri}")
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(limit)
    return [record.numpy() for record in dataset]
