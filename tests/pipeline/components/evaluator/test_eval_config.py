"""What the Evaluator is asked to compute: intervals for every task, plots for binary ones."""

from __future__ import annotations

import pytest

from pipeline.components.evaluator.eval_config import PLOT_BUCKETS, eval_config


def _config(name: str):
    from pipeline.runners.configs import load_dataset

    spec = load_dataset(name).spec
    return eval_config(spec, spec.thresholds)


@pytest.mark.parametrize("name", ["taxi", "penguins"])
def test_every_metric_gets_a_jackknife_confidence_interval(name):
    import tensorflow_model_analysis as tfma

    options = _config(name).options

    assert options.compute_confidence_intervals.value is True
    assert options.confidence_intervals.method == tfma.ConfidenceIntervalOptions.JACKKNIFE


def _plots(name: str) -> list:
    config = _config(name)
    return [m for s in config.metrics_specs for m in s.metrics if "Plot" in m.class_name]


def test_a_binary_task_gets_one_calibration_histogram_and_multi_class_none():
    import json

    (plot,) = _plots("taxi")

    assert plot.class_name == "CalibrationPlot"
    assert json.loads(plot.config) == {"num_buckets": PLOT_BUCKETS}
    assert _plots("penguins") == []
