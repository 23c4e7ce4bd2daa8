"""What the Evaluator computes and the bars a model must clear (TFMA's EvalConfig)."""

from __future__ import annotations

import json

import tensorflow_model_analysis as tfma

from models import features as F
from models import layout
from pipeline.config import EvalThresholds

# Evaluator feeds serialized examples to this signature and gets the label
# from the Transform graph through `transform_features`.
EVAL_SIGNATURE = layout.EXAMPLES_SIGNATURE
PREPROCESSING_SIGNATURE = layout.TRANSFORM_SIGNATURE

# TFMA's default is 10,000, and the curves are built for every slice (about 95
# here); 1,000 moves the sample's AUC by 3e-5 and saves Evaluator time
# (docs/benchmarks.md).
AUC_THRESHOLDS = 1000

# The overall metrics a person reads first (run summary, report), in this order.
SUMMARY_METRICS = (
    "example_count",
    "auc",
    "auc_precision_recall",
    "binary_accuracy",
    "precision",
    "recall",
    "calibration",
)


def _metric(class_name: str, threshold: tfma.MetricThreshold | None = None, **kw):
    config = tfma.MetricConfig(class_name=class_name, **kw)
    if threshold is not None:
        # The bar applies to the overall slice: tiny slices (one company,
        # one hour) are reported, not gated, or no model would ever pass.
        config.per_slice_thresholds.append(
            tfma.PerSliceMetricThreshold(slicing_specs=[tfma.SlicingSpec()], threshold=threshold)
        )
    return config


def eval_config(thresholds: EvalThresholds) -> tfma.EvalConfig:
    """Metrics overall and per slice, with the bars a model must clear."""
    auc_threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": thresholds.min_auc}),
        change_threshold=tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.HIGHER_IS_BETTER,
            absolute={"value": -thresholds.max_auc_regression},
        ),
    )
    accuracy_threshold = tfma.MetricThreshold(
        value_threshold=tfma.GenericValueThreshold(lower_bound={"value": thresholds.min_accuracy})
    )
    metrics = [
        _metric("ExampleCount"),
        _metric("AUC", auc_threshold, config=json.dumps({"num_thresholds": AUC_THRESHOLDS})),
        _metric(
            "AUC",
            config=json.dumps(
                {"curve": "PR", "name": "auc_precision_recall", "num_thresholds": AUC_THRESHOLDS}
            ),
        ),
        _metric("BinaryAccuracy", accuracy_threshold),
        _metric("Precision"),
        _metric("Recall"),
        _metric("Calibration"),
        _metric("MeanLabel"),
        _metric("MeanPrediction"),
        # No CalibrationPlot or ConfusionMatrixPlot: TFMA computes them for
        # every slice (a few seconds of the Evaluator) and no report reads them.
    ]
    slices = [tfma.SlicingSpec()] + [tfma.SlicingSpec(feature_keys=[k]) for k in F.SLICE_FEATURES]
    return tfma.EvalConfig(
        model_specs=[
            tfma.ModelSpec(
                # Loaded as a plain SavedModel: as "tf_keras" (detected by
                # default) TFMA also revives the Keras model in every metrics
                # combiner to recompute its compiled metrics, the slowest part
                # of the Evaluator (docs/benchmarks.md); the metrics above are
                # all TFMA's own.
                model_type=tfma.TF_GENERIC,
                signature_name=EVAL_SIGNATURE,
                label_key=F.transformed_label(),
                preprocessing_function_names=[PREPROCESSING_SIGNATURE],
            )
        ],
        metrics_specs=[tfma.MetricsSpec(metrics=metrics)],
        slicing_specs=slices,
    )
