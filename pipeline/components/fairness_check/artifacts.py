"""What the fairness check publishes: the `FairnessResult` artifact (`fairness.json`) and
the properties it adds to the blessing it passes on."""

from __future__ import annotations

import os

from tfx import types

from pipeline.components.fairness_check.decision import FairnessOutcome

RESULT_FILE = "fairness.json"

# Custom properties the check adds to the blessing it passes on.
FAIRNESS_BLOCKED_PROPERTY = "fairness_blocked"
BREACHES_PROPERTY = "fairness_breaches"


class FairnessResult(types.Artifact):
    """Fairness rates per slice and their gaps for one evaluation (`fairness.json`)."""

    # "<namespace>.<Name>": the form Kubeflow V2 requires of custom artifact types.
    TYPE_NAME = "taxi.FairnessResult"


def load_result(artifact: types.Artifact) -> FairnessOutcome:
    """The outcome a FairnessCheck wrote into `artifact`."""
    from tfx.utils import io_utils

    return FairnessOutcome.from_json(
        io_utils.read_string_file(os.path.join(artifact.uri, RESULT_FILE))
    )
