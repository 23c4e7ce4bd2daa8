"""What the Evaluator computes and the bars a model must clear (TFMA's EvalConfig)."""

from __future__ import annotations

import json

import tensorflow_model_analysis as tfma

from models import features as F
from models import layout
from models.dataset import DatasetSpec
from models.scoring import ACCURACY, AUC, LOG_LOSS, MAE, RMSE
from pipeline.config import EvalThresholds

# Evaluator feeds serialized examples to this signature and gets the label
# from the Transform graph through `transform_features`.
EVAL_SIGNATURE = layout.EXAMPLES_SIGNATURE
PREPROCESSING_SIGNATURE = layout.TRANSFORM_SIGNATURE

# TFMA's default is 10,000, and the curves are built for every slice (about 95
# here); 1,000 moves the sample's AUC by 3e-5 and saves Evaluator time
# (docs/benchmarks.md).
AUC_THRESHOLDS = 1000

# Buckets of predicted probability in the overall slice's calibration histogram, the
# one plot the Evaluator computes: its bucket bounds are the thresholds of the report's
# ROC and precision-recall curves (evaluator/plots.py), enough for a smooth curve.
PLOT_BUCKETS = 100

# 95% confidence intervals of every metric, overall and per slice, by TFMA's delete-d
# jackknife: it merges the partial results of 20 buckets of the eval split again per
# slice, where its Poisson bootstrap recomputes each slice over 20 resamples (4.5 times
# slower here). Still 2.3 (first run) to 2.9 (with a baseline) times the Evaluator's time
# without intervals; TFMA 0.47 fixes the 20 (docs/benchmarks.md).
CONFIDENCE_INTERVALS = tfma.ConfidenceIntervalOptions.JACKKNIFE

# The overall metrics a person reads first (run summary, report), in this order;
# each run has those of its task.
SUMMARY_METRICS = (
    "example_count",
    AUC,
    "auc_precision_recall",
    ACCURACY["binary"],
    ACCURACY["multiclass"],
    LOG_LOSS,
    RMSE,
    MAE,
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


def _bar(lower: float | None = None, upper: float | None = None):
    if lower is None and upper is None:
        return None
    bounds = {}
    if lower is not None:
        bounds["lower_bound"] = {"value": lower}
    if upper is not None:
        bounds["upper_bound"] = {"value": upper}
    return tfma.GenericValueThreshold(**bounds)


def _threshold(value=None, change=None) -> tfma.MetricThreshold | None:
    if value is None and change is None:
        return None
    threshold = tfma.MetricThreshold()
    if value is not None:
        threshold.value_threshold.CopyFrom(value)
    if change is not None:
        threshold.change_threshold.CopyFrom(change)
    return threshold


def _no_worse_than_baseline(task: str, thresholds: EvalThresholds):
    """The main metric may fall short of the last blessed model's by at most max_regression
    (regression: relative to it, as RMSE has the label's units)."""
    if task == "regression":
        return tfma.GenericChangeThreshold(
            direction=tfma.MetricDirection.LOWER_IS_BETTER,
            relative={"value": thresholds.max_regression},
        )
    return tfma.GenericChangeThreshold(
        direction=tfma.MetricDirection.HIGHER_IS_BETTER,
        absolute={"value": -thresholds.max_regression},
    )


def _binary_metrics(thresholds: EvalThresholds) -> list:
    auc = _threshold(_bar(lower=thresholds.min_auc), _no_worse_than_baseline("binary", thresholds))
    accuracy = _threshold(_bar(lower=thresholds.min_accuracy))
    return [
        _metric("AUC", auc, config=json.dumps({"num_thresholds": AUC_THRESHOLDS})),
        _metric(
            "AUC",
            config=json.dumps(
                {"curve": "PR", "name": "auc_precision_recall", "num_thresholds": AUC_THRESHOLDS}
            ),
        ),
        _metric("BinaryAccuracy", accuracy),
        _metric("Precision"),
        _metric("Recall"),
        _metric("Calibration"),
        _metric("MeanLabel"),
        _metric("MeanPrediction"),
        # The report's ROC, precision-recall and calibration charts of the overall
        # slice, all from this one histogram. TFMA computes plots for every slice and
        # jackknife sample, so there is one, small, rebinned from the histogram AUC
        # already builds; a ConfusionMatrixPlot beside it cost 13 s of the Evaluator,
        # this one 1-2 s (docs/benchmarks.md).
        _metric("CalibrationPlot", config=json.dumps({"num_buckets": PLOT_BUCKETS})),
    ]


def _multiclass_metrics(thresholds: EvalThresholds) -> list:
    accuracy = _threshold(
        _bar(lower=thresholds.min_accuracy), _no_worse_than_baseline("multiclass", thresholds)
    )
    return [
        _metric("SparseCategoricalAccuracy", accuracy),
        _metric("SparseCategoricalCrossentropy"),
    ]


def _regression_metrics(thresholds: EvalThresholds) -> list:
    rmse = _threshold(
        _bar(upper=thresholds.max_rmse), _no_worse_than_baseline("regression", thresholds)
    )
    return [
        _metric("RootMeanSquaredError", rmse),
        _metric("MeanAbsoluteError", _threshold(_bar(upper=thresholds.max_mae))),
        _metric("MeanLabel"),
        _metric("MeanPrediction"),
    ]


def _per_class(spec: DatasetSpec) -> tfma.MetricsSpec:
    """Precision and recall of each class against the rest."""
    return tfma.MetricsSpec(
        metrics=[_metric("Precision"), _metric("Recall")],
        binarize=tfma.BinarizationOptions(class_ids={"values": list(range(spec.num_classes))}),
    )


def eval_config(spec: DatasetSpec, thresholds: EvalThresholds) -> tfma.EvalConfig:
    """Metrics of the dataset's task overall and per slice, with the bars a model must clear."""
    task_metrics = {
        "binary": _binary_metrics,
        "multiclass": _multiclass_metrics,
        "regression": _regression_metrics,
    }[spec.task](thresholds)
    # An eval split with examples: a bar every model clears, so TFMA always validates
    # and the Evaluator always writes its blessing (with no bar at all it writes
    # none, and a first model without absolute bars could never be blessed).
    example_count = _metric("ExampleCount", _threshold(_bar(lower=1)))
    metrics_specs = [tfma.MetricsSpec(metrics=[example_count, *task_metrics])]
    if spec.task == "multiclass":
        metrics_specs.append(_per_class(spec))
    slices = [tfma.SlicingSpec()] + [tfma.SlicingSpec(feature_keys=[k]) for k in spec.slices]
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
                label_key=F.transformed_label(spec),
                prediction_key=F.prediction_key(spec),
                preprocessing_function_names=[PREPROCESSING_SIGNATURE],
            )
        ],
        metrics_specs=metrics_specs,
        slicing_specs=slices,
        options=tfma.Options(
            compute_confidence_intervals={"value": True},
            confidence_intervals=tfma.ConfidenceIntervalOptions(method=CONFIDENCE_INTERVALS),
        ),
    )
