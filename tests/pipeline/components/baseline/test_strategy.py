"""The baseline is the newest blessed model, never the candidate itself."""

from __future__ import annotations

from tfx.components.evaluator import constants
from tfx.types import standard_artifacts

from pipeline.components.baseline.strategy import (
    BLESSING_KEY,
    CANDIDATE_KEY,
    MODEL_KEY,
    BaselineModelStrategy,
)


def _model(artifact_id: int):
    model = standard_artifacts.Model()
    model.id = artifact_id
    return model


def _blessing(model_id: int, blessed: bool):
    blessing = standard_artifacts.ModelBlessing()
    blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY, model_id)
    blessing.set_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY, int(blessed))
    return blessing


def _resolve(models, blessings, candidate):
    return BaselineModelStrategy().resolve_artifacts(
        None,
        {MODEL_KEY: models, BLESSING_KEY: blessings, CANDIDATE_KEY: candidate},
    )


def test_newest_blessed_model_other_than_the_candidate():
    models = [_model(3), _model(7), _model(9), _model(12)]
    blessings = [_blessing(3, True), _blessing(7, True), _blessing(9, False), _blessing(12, True)]
    result = _resolve(models, blessings, [models[3]])
    assert [m.id for m in result[MODEL_KEY]] == [7]
    assert result[BLESSING_KEY][0].get_int_custom_property("current_model_id") == 7
    assert result[CANDIDATE_KEY] == [models[3]]


def test_a_rerun_of_the_only_blessed_model_has_no_baseline():
    model = _model(7)
    result = _resolve([model], [_blessing(7, True)], [model])
    assert result[MODEL_KEY] == [] and result[BLESSING_KEY] == []


def test_unblessed_models_are_never_a_baseline():
    result = _resolve([_model(1), _model(2)], [_blessing(1, False)], [_model(2)])
    assert result[MODEL_KEY] == []
