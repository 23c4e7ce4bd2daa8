"""The TFMA metrics the fairness check reads: error rates per slice at each threshold.

The Evaluator computes, for every slice of each fairness feature and every
decision threshold, the false positive rate (TFMA's `FallOut`) and the false
negative rate (`MissRate`). These are the rates TFMA's `FairnessIndicators`
metric reports; that metric ships in the `fairness-indicators` package, whose
releases for TFMA 0.47 require tensorflow-hub >= 0.16.1, which tfx 1.16
excludes, so the same quantities come from TFMA's own metrics.
"""

from __future__ import annotations

import json

from pipeline.config import FairnessConfig

# Rate name -> TFMA metric class computing it.
RATES = {"false_positive_rate": "FallOut", "false_negative_rate": "MissRate"}
EXAMPLE_COUNT = "example_count"


def metric_name(rate: str, threshold: float) -> str:
    """The TFMA metric key of `rate` at `threshold`, e.g. `false_positive_rate@0.5`."""
    return f"{rate}@{threshold:g}"


def with_fairness(eval_config, config: FairnessConfig):
    """A copy of `eval_config` that also computes the fairness rates per fairness slice."""
    import tensorflow_model_analysis as tfma

    extended = tfma.EvalConfig()
    extended.CopyFrom(eval_config)
    metrics = [
        tfma.MetricConfig(
            class_name=class_name,
            config=json.dumps({"thresholds": [t], "name": metric_name(rate, t)}),
        )
        for rate, class_name in RATES.items()
        for t in config.thresholds
    ]
    configured = {m.class_name for spec in extended.metrics_specs for m in spec.metrics}
    # Slice sizes decide which slices count; the evaluation may already count them.
    if "ExampleCount" not in configured:
        metrics.append(tfma.MetricConfig(class_name="ExampleCount"))
    extended.metrics_specs.append(tfma.MetricsSpec(metrics=metrics))
    sliced = {tuple(spec.feature_keys) for spec in extended.slicing_specs}
    for feature in config.slice_features:
        if (feature,) not in sliced:
            extended.slicing_specs.append(tfma.SlicingSpec(feature_keys=[feature]))
    return extended
