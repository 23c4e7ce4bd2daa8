"""The Evaluator's extra metrics and slices the fairness check reads."""

from __future__ import annotations

import json

import taxi_facts
import tensorflow_model_analysis as tfma

from pipeline.components.evaluator.eval_config import eval_config
from pipeline.components.fairness_check import metrics as fairness
from pipeline.config import EvalThresholds, FairnessConfig


def _metric_names(config) -> list[str]:
    names = []
    for spec in config.metrics_specs:
        for metric in spec.metrics:
            names.append(json.loads(metric.config).get("name") if metric.config else None)
    return names


def test_the_evaluation_gets_both_rates_at_every_threshold_and_each_fairness_slice():
    config = FairnessConfig(
        features=taxi_facts.fairness_features(),
        thresholds=(0.3, 0.5, 0.7),
        extra_slice_features=("trip_start_day",),
    )
    base = eval_config(taxi_facts.spec(), EvalThresholds())
    extended = fairness.with_fairness(base, config, "binary")

    names = _metric_names(extended)
    for rate in fairness.RATES:
        for threshold in config.thresholds:
            assert names.count(fairness.metric_name(rate, threshold)) == 1
    classes = [m.class_name for s in extended.metrics_specs for m in s.metrics]
    # The base evaluation counts examples already: no second ExampleCount.
    assert classes.count("ExampleCount") == 1
    sliced = [tuple(s.feature_keys) for s in extended.slicing_specs]
    assert len(sliced) == len(set(sliced)), "no slice is computed twice"
    for feature in (*taxi_facts.fairness_features(), "trip_start_day"):
        assert (feature,) in sliced
    # The Evaluator's own configuration is left as it was.
    assert list(extended.metrics_specs)[: len(base.metrics_specs)] == list(base.metrics_specs)
    assert len(base.metrics_specs) + 1 == len(extended.metrics_specs)


def test_example_count_is_added_when_the_evaluation_does_not_count():
    bare = tfma.EvalConfig(model_specs=[tfma.ModelSpec(label_key="y")])
    extended = fairness.with_fairness(bare, FairnessConfig(), "binary")
    classes = [m.class_name for s in extended.metrics_specs for m in s.metrics]
    assert classes.count("ExampleCount") == 1
    assert sorted(set(classes)) == ["ExampleCount", "FallOut", "MissRate"]
