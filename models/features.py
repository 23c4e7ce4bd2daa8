"""Every fact about features and predictions that holds for any dataset.

What the columns of one dataset are and how each is used lives in its dataset
file (`models/dataset.py` is the model of it); the names derived from those
facts, and the markers of a missing value, live here.
"""

from __future__ import annotations

import math

# How `serving_default` (named raw tensors, no way to omit one) is told that an
# optional value is missing: the same values an empty CSV cell becomes.
MISSING_FLOAT = math.nan
MISSING_STRING = ""
MISSING_INT = -1  # any negative integer

# Beside a multi-class model's probabilities: the class names, in the same order.
CLASSES_KEY = "classes"


def transformed_name(key: str) -> str:
    """Name of the Transform output derived from raw feature `key`."""
    return f"{key}_xf"


def transformed_label(spec) -> str:
    """The transformed label the Trainer fits and TFMA evaluates."""
    return transformed_name(spec.label.key)


def prediction_key(spec) -> str:
    """What every signature of the served model answers under, by task.

    Binary: the positive class's probability; multi-class: every class's
    probability; regression: the predicted value.
    """
    label = spec.label.key
    return {
        "binary": f"{label}_probability",
        "multiclass": f"{label}_probabilities",
        "regression": f"predicted_{label}",
    }[spec.task]
