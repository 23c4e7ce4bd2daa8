"""The baseline the Evaluator compares a candidate model against.

TFX's LatestBlessedModelStrategy returns the latest blessed model, which on
an unchanged rerun is the candidate itself: the Evaluator's inputs change
(a baseline appears), so it reruns, blesses the model against itself and the
Pusher pushes the same model again as a new version. This strategy takes the
candidate as an input and returns the latest blessed model *other* than it.
"""

from __future__ import annotations

from tfx import types
from tfx.components.evaluator import constants as evaluator_constants
from tfx.dsl.components.common import resolver

MODEL_KEY = "model"
BLESSING_KEY = "model_blessing"
CANDIDATE_KEY = "candidate"


def latest_blessed_other_than(models, blessings, candidate_ids: set[int]):
    """(model, blessing) of the newest blessed model not in `candidate_ids`."""
    blessing_of = {
        b.get_int_custom_property(evaluator_constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY): b
        for b in blessings
        if b.get_int_custom_property(evaluator_constants.ARTIFACT_PROPERTY_BLESSED_KEY) == 1
    }
    for model in sorted(models, key=lambda m: m.id, reverse=True):
        if model.id in blessing_of and model.id not in candidate_ids:
            return model, blessing_of[model.id]
    return None


class BaselineModelStrategy(resolver.ResolverStrategy):
    """Resolves the latest blessed Model that is not the current candidate."""

    def resolve_artifacts(
        self, store, input_dict: dict[str, list[types.Artifact]]
    ) -> dict[str, list[types.Artifact]]:
        candidates = input_dict.get(CANDIDATE_KEY, [])
        found = latest_blessed_other_than(
            input_dict.get(MODEL_KEY, []),
            input_dict.get(BLESSING_KEY, []),
            {c.id for c in candidates},
        )
        model, blessing = found if found else (None, None)
        return {
            MODEL_KEY: [model] if model else [],
            BLESSING_KEY: [blessing] if blessing else [],
            CANDIDATE_KEY: candidates,
        }
