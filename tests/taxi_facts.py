"""Facts of the bundled taxi dataset that tests check the pipeline against.

Read from its dataset file and schema (schemas/taxi/), never restated here.
"""

from __future__ import annotations

import functools


@functools.cache
def dataset():
    """The taxi dataset, resolved against its schema (pipeline.runners.configs.Dataset)."""
    from pipeline.runners.configs import load_dataset

    return load_dataset("taxi")


def spec():
    return dataset().spec


def model_features() -> tuple[str, ...]:
    """The raw columns a served taxi model reads."""
    return spec().model_features()


def output() -> str:
    """What the served taxi model answers under (the big tip's probability)."""
    from models.features import prediction_key

    return prediction_key(spec())


def inputs() -> dict[str, str]:
    """Input name -> kind of `serving_default`, from the schema."""
    from serving.rows import schema_inputs

    return schema_inputs(dataset().schema, model_features())


def fairness_features() -> tuple[str, ...]:
    return spec().fairness.features
