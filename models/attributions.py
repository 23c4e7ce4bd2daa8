"""Which raw features a trained model relies on, measured through its serving signatures.

Global attributions are permutation importances: shuffle one raw column of
the eval examples, score again, and take how much the task's main score
(AUC, accuracy or RMSE, `models.scoring.main_score`) got worse, averaged over
a few shuffles. They go through `serving_default`, the signature clients
call, so Transform and the network are explained together, and they need
nothing but the SavedModel (which records its dataset spec) and examples.

A single prediction is explained by occlusion against a background sample:
a feature's attribution is the prediction minus the mean prediction with
that feature's value replaced by each background row's. Positive values
pushed the prediction (the probability of the predicted class, or the
predicted value) up.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping

import numpy as np

from models import features as F
from models import layout, scoring
from models.dataset import DatasetSpec

RAW_SIGNATURE = layout.SERVING_SIGNATURE
TRANSFORM_SIGNATURE = layout.TRANSFORM_SIGNATURE
METHOD = "permutation importance on the eval split"
BATCH_SIZE = 4096


class ExplanationError(ValueError):
    """An example that cannot be explained; the message says which feature and why."""


@dataclasses.dataclass(frozen=True)
class FeatureAttribution:
    feature: str
    importance: float  # how much worse the main score gets when the feature is shuffled
    spread: float  # standard deviation of that drop over the shuffles
    prediction_change: float  # mean absolute change of the probability


@dataclasses.dataclass(frozen=True)
class GlobalAttributions:
    """Permutation importances of one model on a sample of examples, most important first."""

    method: str
    examples: int
    repeats: int
    seed: int
    # The main score (TFMA's metric key) and its value with nothing shuffled.
    score: str
    baseline_score: float
    features: tuple[FeatureAttribution, ...]
    # Raw rows (as a REST client sends them) that single predictions are explained against.
    background: tuple[dict, ...]
    seconds: float = 0.0

    def ranking(self) -> list[str]:
        return [f.feature for f in self.features]

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["background"] = [_jsonable(row) for row in self.background]
        return json.dumps(data, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GlobalAttributions:
        data = json.loads(text)
        if "baseline_auc" in data:  # written before attributions followed the task
            data["score"], data["baseline_score"] = "auc", data.pop("baseline_auc")
        data["features"] = tuple(FeatureAttribution(**f) for f in data["features"])
        data["background"] = tuple(data["background"])
        return cls(**data)


def _jsonable(row: Mapping) -> dict:
    # NaN (a missing float) is not JSON: it travels as null, like a REST request's.
    return {
        k: None if isinstance(v, float) and math.isnan(v) else v for k, v in sorted(row.items())
    }


def background_of(version_dir: str) -> list[dict]:
    """The background rows the Pusher stored with a pushed version's attributions."""
    path = os.path.join(version_dir, layout.ATTRIBUTIONS_FILE)
    if not os.path.isdir(version_dir):
        raise FileNotFoundError(f"no version at {version_dir}")
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} does not exist: the version was pushed without attributions"
        )
    with open(path, encoding="utf-8") as f:
        return list(GlobalAttributions.from_json(f.read()).background)


@dataclasses.dataclass(frozen=True)
class LoadedModel:
    """A SavedModel and the dataset spec it was trained on."""

    saved: object  # what tf.saved_model.load returns
    spec: DatasetSpec

    @property
    def signatures(self):
        return self.saved.signatures


def load_model(model_dir: str) -> LoadedModel:
    import tensorflow as tf

    return LoadedModel(tf.saved_model.load(model_dir), DatasetSpec.read_from_model(model_dir))


def signature_dtypes(model) -> dict:
    """Raw input name -> dtype of `serving_default`."""
    _, inputs = model.signatures[RAW_SIGNATURE].structured_input_signature
    return {name: spec.dtype for name, spec in inputs.items()}


def _missing(dtype):
    import tensorflow as tf

    return {tf.int64: F.MISSING_INT, tf.float32: F.MISSING_FLOAT, tf.string: F.MISSING_STRING}[
        dtype
    ]


def raw_columns(serialized: list[bytes], dtypes: Mapping) -> dict[str, np.ndarray]:
    """One array per raw input of `serving_default`, missing values as its markers."""
    import tensorflow as tf

    columns: dict[str, list] = {name: [] for name in dtypes}
    for record in serialized:
        feature = tf.train.Example.FromString(record).features.feature
        for name, dtype in dtypes.items():
            kind = feature[name].WhichOneof("kind") if name in feature else None
            values = getattr(feature[name], kind).value if kind else []
            value = values[0] if len(values) else _missing(dtype)
            columns[name].append(value.decode("utf-8") if isinstance(value, bytes) else value)
    return {name: _array(values, dtypes[name]) for name, values in columns.items()}


def _array(values: list, dtype) -> np.ndarray:
    import tensorflow as tf

    if dtype == tf.string:
        return np.array(values, dtype=object)
    return np.array(values, dtype=dtype.as_numpy_dtype)


def predict(model: LoadedModel, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """`serving_default`'s prediction for every row of `columns`: [rows], or
    [rows, classes] for a multi-class model."""
    import tensorflow as tf

    signature = model.signatures[RAW_SIGNATURE]
    key = F.prediction_key(model.spec)
    dtypes = signature_dtypes(model)
    rows = len(next(iter(columns.values())))
    out = []
    for start in range(0, rows, BATCH_SIZE):
        batch = {
            name: tf.constant(columns[name][start : start + BATCH_SIZE], dtype=dtype)
            for name, dtype in dtypes.items()
        }
        prediction = signature(**batch)[key].numpy()
        out.append(prediction if model.spec.task == "multiclass" else prediction.reshape(-1))
    if not out:
        return np.zeros((0, model.spec.num_classes) if model.spec.task == "multiclass" else 0)
    return np.concatenate(out)


def labels(model: LoadedModel, serialized: list[bytes]) -> np.ndarray:
    """The label Transform derives from each example (from columns absent at serving, too)."""
    import tensorflow as tf

    transform = model.signatures[TRANSFORM_SIGNATURE]
    key = F.transformed_label(model.spec)
    out = []
    for start in range(0, len(serialized), BATCH_SIZE):
        batch = tf.constant(serialized[start : start + BATCH_SIZE])
        out.append(transform(examples=batch)[key].numpy().reshape(-1))
    return np.concatenate(out)


def _rows(columns: Mapping[str, np.ndarray], count: int) -> tuple[dict, ...]:
    return tuple(
        {name: _python(values[i]) for name, values in columns.items()}
        for i in range(min(count, len(next(iter(columns.values())))))
    )


def _python(value):
    return value.item() if hasattr(value, "item") else value


def permutation_importance(
    model,
    serialized: list[bytes],
    *,
    repeats: int = 3,
    seed: int = 0,
    background_rows: int = 64,
) -> GlobalAttributions:
    """Permutation importance of every raw input of `model` on `serialized` examples."""
    import time

    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    started = time.monotonic()
    score = scoring.main_score(model.spec.task)
    y = labels(model, serialized)
    columns = raw_columns(serialized, signature_dtypes(model))
    base = predict(model, columns)
    base_score = score.compute(y, base)
    rng = np.random.default_rng(seed)
    found = []
    for name in sorted(columns):
        drops, changes = [], []
        for _ in range(repeats):
            shuffled = dict(columns)
            shuffled[name] = columns[name][rng.permutation(len(serialized))]
            predictions = predict(model, shuffled)
            drops.append(-score.improvement(base_score, score.compute(y, predictions)))
            changes.append(float(np.mean(np.abs(predictions - base))))
        found.append(
            FeatureAttribution(
                feature=name,
                importance=float(np.mean(drops)),
                spread=float(np.std(drops)),
                prediction_change=float(np.mean(changes)),
            )
        )
    found.sort(key=lambda f: (-f.importance, -f.prediction_change, f.feature))
    return GlobalAttributions(
        method=METHOD,
        examples=len(serialized),
        repeats=repeats,
        seed=seed,
        score=score.name,
        baseline_score=base_score,
        features=tuple(found),
        background=_rows(columns, background_rows),
        seconds=time.monotonic() - started,
    )


def instance_columns(
    instance: Mapping, dtypes: Mapping, ignored: tuple[str, ...] = ()
) -> dict[str, np.ndarray]:
    """One JSON example (raw features, as a REST client sends them) as one-row columns.

    `ignored` columns (the label's, say) may be present and are left out.
    """
    import tensorflow as tf

    if not isinstance(instance, Mapping):
        raise ExplanationError(f"an example is a JSON object of raw features, got {instance!r}")
    unknown = sorted(set(instance) - set(dtypes) - set(ignored))
    if unknown:
        raise ExplanationError(
            f"unknown feature(s) {unknown}; the model reads {', '.join(sorted(dtypes))}"
        )
    columns = {}
    for name, dtype in dtypes.items():
        value = instance.get(name)
        if value is None or value == "":
            value = _missing(dtype)
        elif dtype == tf.string:
            value = str(value)
        else:
            kind = "an integer" if dtype == tf.int64 else "a number"
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ExplanationError(f"{name!r} must be {kind}, got {value!r}") from None
            if dtype == tf.int64 and not number.is_integer():
                raise ExplanationError(f"{name!r} must be {kind}, got {value!r}")
            value = int(number) if dtype == tf.int64 else number
        columns[name] = _array([value], dtype)
    return columns


@dataclasses.dataclass(frozen=True)
class Explanation:
    """One prediction and each feature's contribution to it."""

    prediction: float  # the probability of `predicted_class`, or the predicted value
    predicted_class: str | None  # None for regression
    attributions: dict[str, float]


def explain(model: LoadedModel, instance: Mapping, background: list[Mapping]) -> Explanation:
    """The prediction for one example, and each feature's contribution against `background`."""
    if not background:
        raise ExplanationError("no background rows to explain against")
    dtypes = signature_dtypes(model)
    x = instance_columns(instance, dtypes, model.spec.label_inputs())
    back = [instance_columns(row, dtypes) for row in background]
    names = sorted(dtypes)
    # One batch: for each feature, the example with that feature taken from each background row.
    batch = {
        name: np.concatenate(
            [x[name], *(b[name] if name == out else x[name] for out in names for b in back)]
        )
        for name in names
    }
    predictions = predict(model, batch)
    spec = model.spec
    predicted_class = None
    if spec.task == "multiclass":
        index = int(np.argmax(predictions[0]))
        predicted_class = spec.class_names()[index]
        predictions = predictions[:, index]
    elif spec.task == "binary":
        predicted_class = spec.class_names()[1]
    value = float(predictions[0])
    replaced = predictions[1:].reshape(len(names), len(back))
    return Explanation(
        prediction=value,
        predicted_class=predicted_class,
        attributions={name: value - float(replaced[i].mean()) for i, name in enumerate(names)},
    )
