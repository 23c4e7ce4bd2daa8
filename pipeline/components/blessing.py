"""A blessing passed along a chain of checks: Evaluator -> SkillCheck -> FairnessCheck -> Pusher.

Each check after the Evaluator publishes its own `ModelBlessing`: blessed when
the one it was given is and its own check passed. The Evaluator's properties
(which model, which baseline) and every earlier check's verdict travel along,
so the last blessing says why a model was or was not blessed.
"""

from __future__ import annotations

import os

from tfx import types
from tfx.components.evaluator import constants as evaluator_constants
from tfx.utils import io_utils

BLESSED_PROPERTY = evaluator_constants.ARTIFACT_PROPERTY_BLESSED_KEY
# Whether the Evaluator's own thresholds were met.
EVALUATOR_BLESSED_PROPERTY = "evaluator_blessed"


def is_blessed(blessing: types.Artifact) -> bool:
    return blessing.get_int_custom_property(BLESSED_PROPERTY) == 1


def _copy_property(source: types.Artifact, target: types.Artifact, name: str) -> None:
    value = source.get_custom_property(name)
    if isinstance(value, int):
        target.set_int_custom_property(name, value)
    else:
        target.set_string_custom_property(name, str(value))


def pass_on(
    blessing: types.Artifact, given: types.Artifact, *, passed: bool, verdict: dict[str, int]
) -> bool:
    """Fill `blessing` from `given` and this check's result; returns whether it is blessed.

    `verdict` holds this check's own properties (e.g. {"fairness_blocked": 0}).
    """
    blessed = is_blessed(given) and passed
    # The Evaluator's properties and every earlier check's; not TFX's internal ones.
    for name in given.mlmd_artifact.custom_properties:
        if not name.startswith("__"):
            _copy_property(given, blessing, name)
    if not given.has_custom_property(EVALUATOR_BLESSED_PROPERTY):
        # `given` is the Evaluator's own blessing.
        blessing.set_int_custom_property(EVALUATOR_BLESSED_PROPERTY, int(is_blessed(given)))
    for name, value in verdict.items():
        blessing.set_int_custom_property(name, int(value))
    blessing.set_int_custom_property(
        BLESSED_PROPERTY,
        evaluator_constants.BLESSED_VALUE if blessed else evaluator_constants.NOT_BLESSED_VALUE,
    )
    # The marker file the stock Evaluator writes, for tools that look for it.
    names = (evaluator_constants.NOT_BLESSED_FILE_NAME, evaluator_constants.BLESSED_FILE_NAME)
    marker = names[blessed]
    io_utils.write_string_file(os.path.join(blessing.uri, marker), "")
    return blessed
