"""What the Evaluator is asked to compute: intervals for every task."""

from __future__ import annotations

import pytest

from pipeline.components.evaluator.eval_config import eval_config


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
