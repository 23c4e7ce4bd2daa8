"""What the data gate publishes: the `DataValidation` artifact and its `gate.json`."""

from __future__ import annotations

import os

from tfx import types

from pipeline.components.data_gate.decision import GateOutcome

RESULT_FILE = "gate.json"
# Custom properties of a passed gate's artifact: the next run measures drift
# against the statistics they name.
PASSED_PROPERTY = "passed"
STATISTICS_ID_PROPERTY = "statistics_id"
STATISTICS_URI_PROPERTY = "statistics_uri"


class DataValidation(types.Artifact):
    """The data gate's outcome for one set of statistics (`gate.json`)."""

    # "<namespace>.<Name>": the form Kubeflow V2 requires of custom artifact types.
    TYPE_NAME = "taxi.DataValidation"


def load_outcome(artifact: types.Artifact) -> GateOutcome:
    """The outcome a passed gate wrote into its `DataValidation` artifact."""
    from tfx.utils import io_utils

    return GateOutcome.from_json(io_utils.read_string_file(os.path.join(artifact.uri, RESULT_FILE)))
