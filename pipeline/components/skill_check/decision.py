"""Whether a model shows skill: it beats the trivial predictor on the eval split by a margin.

The trivial predictor ignores every feature: it says the train split's
positive rate (binary), its class shares (multi-class) or its mean
(regression) for every example. Bars like "AUC >= 0.85" mean nothing on data
the project has never seen; beating that predictor does: accuracy above the
majority class's share, AUC above 0.5, RMSE below the train mean's.

Pure: metrics in, outcome out. The component reading them is `component.py`.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from models import scoring


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One metric of the candidate against the trivial predictor's, and the bar."""

    metric: str
    candidate: float | None  # None: the evaluation has no such metric
    trivial: float
    required: float  # the candidate must reach this (or stay under it, for errors)
    higher_is_better: bool

    @property
    def passed(self) -> bool:
        if self.candidate is None:
            return False
        if self.higher_is_better:
            return self.candidate >= self.required
        return self.candidate <= self.required


@dataclasses.dataclass(frozen=True)
class SkillOutcome:
    """The comparisons, the margin, and what the trivial predictor said."""

    task: str
    margin: float
    trivial_prediction: str
    comparisons: tuple[Comparison, ...]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.comparisons)

    @property
    def failures(self) -> tuple[Comparison, ...]:
        return tuple(c for c in self.comparisons if not c.passed)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SkillOutcome:
        data = json.loads(text)
        data["comparisons"] = tuple(Comparison(**c) for c in data["comparisons"])
        return cls(**data)


def trivial_metrics(
    task: str, train_labels: np.ndarray, eval_labels: np.ndarray, classes: int
) -> tuple[dict[str, float], str]:
    """(the trivial predictor's metrics on the eval labels, what it predicts, in words)."""
    predictions = scoring.trivial_predictions(train_labels, len(eval_labels), task, classes)
    if task == "regression":
        metrics = {
            scoring.RMSE: scoring.rmse(eval_labels, predictions),
            scoring.MAE: scoring.mae(eval_labels, predictions),
        }
        return metrics, f"the train mean, {predictions[0]:.4g}"
    metrics = {scoring.ACCURACY[task]: scoring.accuracy(eval_labels, predictions, task)}
    if task == "binary":
        metrics[scoring.AUC] = 0.5  # a constant score ranks no example above another
        return metrics, f"the train positive rate, {predictions[0]:.4g}"
    shares = ", ".join(f"{p:.3g}" for p in predictions[0])
    return metrics, f"the train class shares ({shares})"


def judge(
    task: str,
    candidate: dict[str, float],
    trivial: dict[str, float],
    trivial_prediction: str,
    margin: float,
) -> SkillOutcome:
    """The outcome: every metric of the task against the trivial predictor's plus the margin."""
    comparisons = []
    if task == "regression":
        comparisons.append(
            Comparison(
                metric=scoring.RMSE,
                candidate=candidate.get(scoring.RMSE),
                trivial=trivial[scoring.RMSE],
                required=trivial[scoring.RMSE] * (1 - margin),
                higher_is_better=False,
            )
        )
    else:
        names = (
            [scoring.AUC, scoring.ACCURACY[task]] if task == "binary" else [scoring.ACCURACY[task]]
        )
        for name in names:
            comparisons.append(
                Comparison(
                    metric=name,
                    candidate=candidate.get(name),
                    trivial=trivial[name],
                    required=min(1.0, trivial[name] + margin),
                    higher_is_better=True,
                )
            )
    return SkillOutcome(
        task=task,
        margin=margin,
        trivial_prediction=trivial_prediction,
        comparisons=tuple(comparisons),
    )


def describe(comparison: Comparison) -> str:
    """One line a person reads: the metric, the candidate, the trivial predictor, the bar."""
    words = "at least" if comparison.higher_is_better else "at most"
    measured = "missing" if comparison.candidate is None else f"{comparison.candidate:.4f}"
    verdict = "passed" if comparison.passed else "FAILED"
    return (
        f"{comparison.metric} = {measured}, trivial predictor {comparison.trivial:.4f}; "
        f"{words} {comparison.required:.4f} required: {verdict}"
    )
