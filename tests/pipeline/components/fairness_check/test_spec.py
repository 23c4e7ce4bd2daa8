"""The fairness settings: validated, and carried through the component's parameter."""

from __future__ import annotations

import pytest
import taxi_facts

from pipeline.components.fairness_check import spec as fairness
from pipeline.config import FairnessConfig


def test_the_config_survives_the_component_parameter_round_trip():
    config = FairnessConfig(
        features=taxi_facts.fairness_features(),
        extra_slice_features=("trip_start_hour",),
        thresholds=(0.25, 0.75),
        max_false_positive_rate_gap=0.2,
        blocking=True,
        caveats=(("payment_type", "Cash tips are not recorded."),),
    )
    again = fairness.config_from_json(fairness.config_to_json(config))
    assert again == config
    assert again.slice_features == (*taxi_facts.fairness_features(), "trip_start_hour")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"thresholds": (0.5, 1.0)}, "thresholds must lie in"),
        ({"thresholds": ()}, "thresholds must lie in"),
        ({"max_false_positive_rate_gap": 1.5}, "max_false_positive_rate_gap must be in"),
        ({"min_slice_examples": 0}, "min_slice_examples must be at least 1"),
        ({"max_error_gap": -1.0}, "max_error_gap must be at least 0"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(kwargs, message):
    with pytest.raises(ValueError, match=message):
        FairnessConfig(**kwargs)


def _pipeline_config(fairness: FairnessConfig):
    """A taxi PipelineConfig with `fairness` (its paths are never used)."""
    from pipeline.config import PipelineConfig

    return PipelineConfig(
        pipeline_name="t",
        pipeline_root="/p",
        data_root="/d",
        schema_path="/s",
        serving_dir="/v",
        metadata_path=None,
        dataset=taxi_facts.spec(),
        fairness=fairness,
    )


def test_slices_of_a_column_the_model_does_not_read_are_refused():
    with pytest.raises(ValueError, match="fairness slice features must be model features"):
        _pipeline_config(FairnessConfig(extra_slice_features=("tips",)))


def test_the_taxi_caveat_comes_from_the_dataset_file_to_the_check():
    config = FairnessConfig.from_dataset(taxi_facts.spec())

    (caveat,) = config.caveats
    assert caveat[0] == "payment_type"
    assert "Cash tips are not recorded" in caveat[1]


def test_a_pipeline_config_gets_the_datasets_caveats_unless_given_its_own():
    filled = _pipeline_config(FairnessConfig()).fairness
    assert filled.features == taxi_facts.fairness_features()
    assert [f for f, _ in filled.caveats] == ["payment_type"]
    own = (("company", "Small companies."),)
    assert _pipeline_config(FairnessConfig(caveats=own)).fairness.caveats == own
