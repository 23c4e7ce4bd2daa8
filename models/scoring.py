"""How good a set of predictions is, by task, in NumPy: for attributions and for the trivial
predictor a model must beat.

The Evaluator scores models with TFMA; these functions score what the project
computes itself (shuffled features, the trivial predictor) with the same
definitions: accuracy at the 0.5 threshold (binary) or the most probable class
(multi-class), log loss, AUC, RMSE and MAE.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

EPSILON = 1e-7

# The metrics' keys as TFMA reports them; the functions below compute the same.
AUC = "auc"
ACCURACY = {"binary": "binary_accuracy", "multiclass": "sparse_categorical_accuracy"}
LOG_LOSS = "sparse_categorical_crossentropy"
RMSE, MAE = "root_mean_squared_error", "mean_absolute_error"


def auc(y: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    y = np.asarray(y).astype(bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    if not positives or not negatives:
        raise ValueError(
            f"AUC needs both classes; got {positives} positive and {negatives} negative examples"
        )
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = np.asarray(scores)[order]
    # Average ranks over ties.
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(average, counts)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def predicted_classes(predictions: np.ndarray, task: str) -> np.ndarray:
    """Class indices: probability over 0.5 (binary), or the most probable class."""
    if task == "binary":
        return (np.asarray(predictions) > 0.5).astype(np.int64)
    return np.argmax(predictions, axis=1)


def accuracy(y: np.ndarray, predictions: np.ndarray, task: str) -> float:
    return float(np.mean(predicted_classes(predictions, task) == np.asarray(y)))


def log_loss(y: np.ndarray, predictions: np.ndarray, task: str) -> float:
    """Mean negative log-likelihood of the true class."""
    y = np.asarray(y).astype(np.int64)
    if task == "binary":
        p = np.clip(np.asarray(predictions, dtype=np.float64), EPSILON, 1 - EPSILON)
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    p = np.clip(np.asarray(predictions, dtype=np.float64), EPSILON, 1.0)
    return float(-np.mean(np.log(p[np.arange(len(y)), y])))


def rmse(y: np.ndarray, predictions: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(predictions) - np.asarray(y)) ** 2)))


def mae(y: np.ndarray, predictions: np.ndarray) -> float:
    return float(np.mean(np.abs(np.asarray(predictions) - np.asarray(y))))


@dataclasses.dataclass(frozen=True)
class Score:
    """One metric: its name (TFMA's metric key), how to compute it, and which way is better."""

    name: str
    compute: Callable[[np.ndarray, np.ndarray], float]
    higher_is_better: bool

    def improvement(self, before: float, after: float) -> float:
        """How much better `after` is than `before` (negative: worse)."""
        return after - before if self.higher_is_better else before - after


def main_score(task: str) -> Score:
    """The score a model is mainly judged by: AUC, accuracy, or RMSE."""
    if task == "binary":
        return Score(AUC, auc, True)
    if task == "multiclass":
        return Score(ACCURACY[task], lambda y, p: accuracy(y, p, task), True)
    return Score(RMSE, rmse, False)


def trivial_predictions(train_labels: np.ndarray, count: int, task: str, classes: int):
    """What a predictor that ignores every feature says for `count` examples.

    The train split's positive rate (binary), its class shares (multi-class), or
    its mean (regression), the same for every example.
    """
    y = np.asarray(train_labels)
    if task == "binary":
        return np.full(count, y.astype(np.float64).mean())
    if task == "multiclass":
        shares = np.bincount(y.astype(np.int64), minlength=classes) / max(len(y), 1)
        return np.tile(shares, (count, 1))
    return np.full(count, y.astype(np.float64).mean())
