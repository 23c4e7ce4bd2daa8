"""The TFMA metrics the fairness check reads: error rates per slice, by task.

Classification: for every slice of each fairness feature and every decision
threshold, the false positive rate (TFMA's `FallOut`) and the false negative
rate (`MissRate`): of the positive class (binary), or of each class against
the rest (multi-class). These are the rates TFMA's `FairnessIndicators` metric
reports; that metric ships in the `fairness-indicators` package, whose
releases for TFMA 0.47 require tensorflow-hub >= 0.16.1, which tfx 1.16
excludes, so the same quantities come from TFMA's own metrics.

Regression: the mean absolute error of each slice, which the evaluation
computes anyway.
"""

from __future__ import annotations

import dataclasses
import json

from models.dataset import DatasetSpec
from models.scoring import MAE
from pipeline.components.evaluator.results import with_class
from pipeline.config import FairnessConfig

# Rate name -> TFMA metric class computing it.
RATES = {"false_positive_rate": "FallOut", "false_negative_rate": "MissRate"}
ERROR = MAE
EXAMPLE_COUNT = "example_count"


def metric_name(rate: str, threshold: float) -> str:
    """The TFMA metric key of `rate` at `threshold`, e.g. `false_positive_rate@0.5`."""
    return f"{rate}@{threshold:g}"


@dataclasses.dataclass(frozen=True)
class Measure:
    """One quantity whose spread over slices is a gap: a rate at a threshold, for a class."""

    rate: str
    threshold: float | None = None
    class_index: int | None = None
    class_name: str = ""

    @property
    def key(self) -> str:
        """Its key among a slice's metrics (`results.single_feature_slice_metrics`)."""
        name = self.rate if self.threshold is None else metric_name(self.rate, self.threshold)
        return with_class(name, self.class_index)


def measures(spec: DatasetSpec, config: FairnessConfig) -> list[Measure]:
    """What the check compares between slices for the dataset's task."""
    if spec.task == "regression":
        return [Measure(ERROR)]
    classes = [(None, "")] if spec.task == "binary" else list(enumerate(spec.class_names()))
    return [
        Measure(rate, threshold, index, name)
        for index, name in classes
        for rate in RATES
        for threshold in config.thresholds
    ]


def with_fairness(eval_config, config: FairnessConfig, task: str):
    """A copy of `eval_config` that also computes the task's fairness measures per slice."""
    import tensorflow_model_analysis as tfma

    extended = tfma.EvalConfig()
    extended.CopyFrom(eval_config)
    metrics = []
    if task != "regression":
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
        extended.metrics_specs.append(
            tfma.MetricsSpec(metrics=[tfma.MetricConfig(class_name="ExampleCount")])
        )
    if task == "regression" and "MeanAbsoluteError" not in configured:
        metrics.append(tfma.MetricConfig(class_name="MeanAbsoluteError"))
    if metrics:
        rates = tfma.MetricsSpec(metrics=metrics)
        if task == "multiclass":
            classes = _classes(eval_config)
            rates.binarize.CopyFrom(tfma.BinarizationOptions(class_ids={"values": classes}))
        extended.metrics_specs.append(rates)
    sliced = {tuple(spec.feature_keys) for spec in extended.slicing_specs}
    for feature in config.slice_features:
        if (feature,) not in sliced:
            extended.slicing_specs.append(tfma.SlicingSpec(feature_keys=[feature]))
    return extended


def _classes(eval_config) -> list[int]:
    """The class ids the evaluation already binarizes (every class of the model)."""
    for spec in eval_config.metrics_specs:
        if spec.binarize.class_ids.values:
            return list(spec.binarize.class_ids.values)
    raise ValueError("a multi-class evaluation binarizes its classes (eval_config._per_class)")
