"""What the Attributions component publishes: the `ModelAttributions` artifact."""

from __future__ import annotations

import os

from tfx import types

RESULT_FILE = "attributions.json"
TOP_FEATURE_PROPERTY = "top_feature"
SECONDS_PROPERTY = "seconds"


class ModelAttributions(types.Artifact):
    """Global feature attributions of one trained model (`attributions.json`)."""

    # "<namespace>.<Name>": the form Kubeflow V2 requires of custom artifact types.
    TYPE_NAME = "taxi.ModelAttributions"


def load_result(artifact: types.Artifact):
    """The `GlobalAttributions` an Attributions execution wrote into `artifact`."""
    from tfx.utils import io_utils

    from models.attributions import GlobalAttributions

    text = io_utils.read_string_file(os.path.join(artifact.uri, RESULT_FILE))
    return GlobalAttributions.from_json(text)
