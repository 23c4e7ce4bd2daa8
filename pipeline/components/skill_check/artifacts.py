"""What the skill check publishes: the `SkillResult` artifact (`skill.json`)."""

from __future__ import annotations

import os

from tfx import types

from pipeline.components.skill_check.decision import SkillOutcome

RESULT_FILE = "skill.json"
# The property the check adds to the blessing it passes on.
SKILL_PASSED_PROPERTY = "skill_passed"


class SkillResult(types.Artifact):
    """The candidate against the trivial predictor on the eval split (`skill.json`)."""

    # "<namespace>.<Name>": the form Kubeflow V2 requires of custom artifact types.
    TYPE_NAME = "taxi.SkillResult"


def load_result(artifact: types.Artifact) -> SkillOutcome:
    """The outcome a SkillCheck wrote into `artifact`."""
    from tfx.utils import io_utils

    return SkillOutcome.from_json(
        io_utils.read_string_file(os.path.join(artifact.uri, RESULT_FILE))
    )
