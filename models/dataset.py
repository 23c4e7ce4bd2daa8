"""A dataset as configuration: where the data is, what to predict, how each column is used.

Every dataset is one TOML file beside its curated schema
(`schemas/<name>/dataset.toml`, read by `schemas.load_dataset`); this module is
its typed, validated model. Unknown keys, wrong types and impossible values are
refused with the key named. `resolve(spec, schema)` then checks the file
against the schema and completes the feature plan: every column the model reads
gets a transform, chosen from the schema where the file does not say.

The resolved spec travels to Transform and the Trainer as JSON (their
`custom_config`), so the code that runs there reads the same plan.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from tensorflow_metadata.proto.v0 import schema_pb2

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[str, ...] = ("binary", "multiclass", "regression")
TransformKind = Literal["zscore", "log", "bucketize", "index", "vocabulary"]

NAME_PATTERN = r"^[a-z][a-z0-9_-]*$"
# Integer columns whose values fit in 0..MAX_INDEX_SIZE-1 are categories of their own
# (an hour, a code) unless the file says otherwise.
MAX_INDEX_SIZE = 1000
# A cross's combinations each get an embedding row: more than this is a table that
# mostly never sees an example.
MAX_CROSS_SIZE = 100_000
# Names of outputs the model reads (labels, crosses): identifiers.
OUTPUT_NAME = r"^[A-Za-z][A-Za-z0-9_]*$"
DEFAULT_BUCKETS = 10
DEFAULT_TOP_K = 1000
DEFAULT_OOV_BUCKETS = 10
SERVING = "SERVING"
# The files of a data folder that hold the data, unless the dataset file says.
CSV_PATTERN = "*.csv"
# The key under which the resolved spec reaches Transform, the Tuner and the Trainer
# (their `custom_config`, as JSON).
CUSTOM_CONFIG_KEY = "dataset"


class DatasetError(ValueError):
    """The dataset file cannot be used; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Feature(_Strict):
    """How Transform turns one raw column into model input."""

    # zscore: numbers, standardised (missing: the mean). log: log1p, then zscore (long
    # right tails). bucketize: quantile buckets on train, plus one for missing.
    # index: an integer category 0..size-1 used as its own index. vocabulary: the
    # top_k most frequent values on train, plus oov_buckets hashed buckets.
    transform: TransformKind
    buckets: int | None = Field(default=None, ge=2)
    size: int | None = Field(default=None, ge=2)
    top_k: int | None = Field(default=None, ge=1)
    oov_buckets: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _parameters_fit_the_transform(self) -> Feature:
        allowed = {
            "zscore": set(),
            "log": set(),
            "bucketize": {"buckets"},
            "index": {"size"},
            "vocabulary": {"top_k", "oov_buckets"},
        }[self.transform]
        given = {k for k in ("buckets", "size", "top_k", "oov_buckets") if getattr(self, k)}
        extra = sorted(given - allowed)
        if extra:
            raise ValueError(f"{', '.join(extra)} does not apply to transform {self.transform!r}")
        if self.transform == "index" and self.size is None:
            raise ValueError("transform 'index' needs size (values run 0..size-1)")
        return self

    def categories(self) -> int | None:
        """Values a categorical transform's output takes (None for numbers), once
        `with_defaults` filled its parameters."""
        if self.transform == "bucketize":
            return self.buckets + 1  # the last: missing
        if self.transform == "index":
            return self.size
        if self.transform == "vocabulary":
            return self.top_k + self.oov_buckets
        return None

    def with_defaults(self) -> Feature:
        """The same feature with every parameter its transform uses filled in."""
        if self.transform == "bucketize" and self.buckets is None:
            return self.model_copy(update={"buckets": DEFAULT_BUCKETS})
        if self.transform == "vocabulary":
            return self.model_copy(
                update={
                    "top_k": self.top_k or DEFAULT_TOP_K,
                    "oov_buckets": self.oov_buckets or DEFAULT_OOV_BUCKETS,
                }
            )
        return self


class Label(_Strict):
    """What the model predicts: a column, or a value a hook derives from raw columns."""

    column: str | None = None
    # A function of the dataset's hooks module: (raw inputs) -> label tensor.
    hook: str | None = None
    # Raw columns the hook reads; needed for training and evaluation, not for serving.
    inputs: tuple[str, ...] = ()
    # The label's name in the model's outputs (default: the column).
    name: str | None = Field(default=None, pattern=OUTPUT_NAME)
    # Classification: the class names in index order (binary: negative, then positive).
    classes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _column_or_hook(self) -> Label:
        if (self.column is None) == (self.hook is None):
            raise ValueError("give exactly one of column or hook")
        if self.hook is not None and self.name is None:
            raise ValueError("a hook label needs a name")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("classes must be distinct")
        return self

    @property
    def key(self) -> str:
        return self.name or self.column or ""


class Data(_Strict):
    """Where the CSV files are when the command line does not say."""

    # A folder, relative to the dataset file (or absolute).
    folder: str | None = None
    # Or a folder inside an installed Python package.
    package: str | None = None
    path: str | None = None
    # Which files of the folder hold the data (a glob pattern).
    files: str = CSV_PATTERN

    @model_validator(mode="after")
    def _one_place(self) -> Data:
        if (self.folder is None) == (self.package is None):
            raise ValueError("give either folder, or package and path")
        if self.package is not None and self.path is None:
            raise ValueError("package needs path (a folder inside the package)")
        return self


class Fairness(_Strict):
    """Which slices' error rates are compared, and how far apart they may be."""

    features: tuple[str, ...] = ()
    # Decision thresholds on a class probability (classification).
    thresholds: tuple[float, ...] = (0.3, 0.5, 0.7)
    max_false_positive_rate_gap: float = Field(default=0.5, ge=0, le=1)
    max_false_negative_rate_gap: float = Field(default=0.5, ge=0, le=1)
    # Regression: largest allowed gap of the mean absolute error, in label units
    # (None: reported, never over a limit).
    max_error_gap: float | None = Field(default=None, ge=0)
    min_slice_examples: int = Field(default=100, ge=1)
    # Why a feature's gaps may reflect how the data was recorded rather than the model:
    # feature -> one sentence, shown beside its gaps in the report, the notebook and
    # the model card (taxi: cash tips are not recorded).
    caveats: dict[str, str] = Field(default_factory=dict)

    @field_validator("thresholds")
    @classmethod
    def _probabilities(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or not all(0 < t < 1 for t in value):
            raise ValueError(f"thresholds must lie in (0, 1), got {list(value)}")
        return value

    @model_validator(mode="after")
    def _caveats_of_compared_features(self) -> Fairness:
        # A caveat of a feature that is not compared would never be shown: a typo.
        unknown = [f for f in self.caveats if f not in self.features]
        if unknown:
            raise ValueError(
                f"caveats: {', '.join(map(repr, unknown))} not among the fairness features"
            )
        if not all(text.strip() for text in self.caveats.values()):
            raise ValueError("caveats: a caveat needs words")
        return self


class Thresholds(_Strict):
    """What a model must clear before it is blessed.

    By default only bars that mean something on any data: beat the trivial
    predictor (the majority class, or the train mean) on the eval split by a
    margin, and do not fall behind the last blessed model. Absolute bars are
    optional.
    """

    # Classification: accuracy at least the majority class's share plus this, and AUC
    # (binary) at least 0.5 plus this. Regression: RMSE at most (1 - margin) times
    # the trivial predictor's.
    margin_over_trivial: float = Field(default=0.02, ge=0, lt=1)
    # The main metric may fall short of the last blessed model's by at most this.
    max_regression: float = Field(default=0.005, ge=0)
    min_auc: float | None = Field(default=None, ge=0, le=1)
    min_accuracy: float | None = Field(default=None, ge=0, le=1)
    max_rmse: float | None = Field(default=None, gt=0)
    max_mae: float | None = Field(default=None, gt=0)


class Owner(_Strict):
    """Who answers for the model (the Model Card Toolkit's model_details.owners)."""

    name: str = Field(min_length=1)
    # How to reach them: an address, a team channel, an issue tracker.
    contact: str = ""


class EthicalConsideration(_Strict):
    """A risk the model's use carries, and what is done about it (the Model Card
    Toolkit's considerations.ethical_considerations)."""

    name: str = Field(min_length=1)
    mitigation_strategy: str = ""


class DatasetSpec(_Strict):
    """One dataset: the data, the task, the label and every column's use."""

    name: str = Field(pattern=NAME_PATTERN)
    task: Task
    label: Label
    description: str = ""
    data: Data | None = None
    schema_file: str = "schema.pbtxt"
    # The name the model is served under (default: the dataset's name).
    model_name: str | None = Field(default=None, pattern=NAME_PATTERN)
    # Cells holding one of these are missing values, like empty cells.
    missing_values: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    slices: tuple[str, ...] = ()
    # A timestamp column (seconds since epoch) whose range the model card shows.
    time_feature: str | None = None
    # A module with the label hook and, optionally, `features(inputs, outputs)`
    # adding engineered features (dotted import path).
    hooks: str | None = None
    features: dict[str, Feature] = Field(default_factory=dict)
    # Crossed features: name -> two or more categorical columns (bucketize, index or
    # vocabulary) whose categories combine into one, learned as one embedding.
    crosses: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    fairness: Fairness = Fairness()
    thresholds: Thresholds = Thresholds()
    # The model card's words (the Model Card Toolkit's sections): what the model is
    # for, what it is not for, who owns it, and the risks of its use with their
    # mitigations ([[owners]] name/contact, [[ethical_considerations]]
    # name/mitigation_strategy tables). Cards say so where they are not given.
    intended_use: tuple[str, ...] = ()
    limitations: tuple[str, ...] = ()
    owners: tuple[Owner, ...] = ()
    ethical_considerations: tuple[EthicalConsideration, ...] = ()

    @model_validator(mode="after")
    def _fits_the_task(self) -> DatasetSpec:
        classes = self.label.classes
        if self.task == "binary" and self.label.column is not None and len(classes) != 2:
            raise ValueError("label.classes: a binary label column needs its 2 class names")
        if self.task == "multiclass" and len(classes) < 2:
            raise ValueError("label.classes: a multiclass label needs its class names")
        if self.task == "regression" and classes:
            raise ValueError("label.classes: a regression label has no classes")
        if self.label.hook is not None and self.hooks is None:
            raise ValueError("label.hook needs the hooks module (hooks = 'package.module')")
        for name, columns in self.crosses.items():
            if not re.match(OUTPUT_NAME, name):
                raise ValueError(f"crosses.{name}: a cross's name must be an identifier")
            if len(columns) < 2 or len(set(columns)) != len(columns):
                raise ValueError(f"crosses.{name}: give two or more different columns")
        return self

    @property
    def file_pattern(self) -> str:
        """The files of the data folder the pipeline reads."""
        return self.data.files if self.data else CSV_PATTERN

    @property
    def served_name(self) -> str:
        return self.model_name or self.name

    @property
    def num_classes(self) -> int:
        """Classes the model scores: 2 for binary, len(classes) for multiclass, 0 otherwise."""
        if self.task == "binary":
            return 2
        return len(self.label.classes) if self.task == "multiclass" else 0

    def class_names(self) -> tuple[str, ...]:
        """Names of the classes in index order (binary without names: "0" and "1")."""
        if self.task == "binary":
            return self.label.classes or ("0", "1")
        return self.label.classes

    def label_inputs(self) -> tuple[str, ...]:
        """Raw columns the label is computed from (never model inputs)."""
        return (self.label.column,) if self.label.column else self.label.inputs

    def model_features(self) -> tuple[str, ...]:
        """Raw columns the model reads, in file order (complete after `resolve`)."""
        return tuple(self.features)

    def to_json(self) -> str:
        return self.model_dump_json()

    def for_training(self) -> DatasetSpec:
        """Only what Transform, the Tuner and the Trainer read: the task, the label, the
        features and the hooks. Their cache keys on it, so editing a description or
        a threshold does not retrain."""
        return DatasetSpec(
            name=self.name,
            task=self.task,
            label=self.label,
            hooks=self.hooks,
            features=self.features,
            crosses=self.crosses,
        )

    @classmethod
    def from_json(cls, text: str) -> DatasetSpec:
        return cls.model_validate_json(text)

    @classmethod
    def read_from_model(cls, model_dir: str) -> DatasetSpec:
        """The spec a trained model recorded (`models.layout.DATASET_FILE`)."""
        import os

        from tfx.dsl.io import fileio

        from models import layout

        path = os.path.join(model_dir, layout.DATASET_FILE)
        if not fileio.exists(path):
            raise FileNotFoundError(f"{path} does not exist: the model records no dataset")
        with fileio.open(path) as f:
            return cls.from_json(f.read())


def parse(data: dict, source: str) -> DatasetSpec:
    """A spec from the file's parsed TOML; DatasetError names `source` and each bad key."""
    try:
        return DatasetSpec.model_validate(data)
    except ValidationError as e:
        problems = []
        for error in e.errors():
            where = ".".join(str(p) for p in error["loc"]) or "(the file)"
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key"
            problems.append(f"{where}: {message}")
        raise DatasetError(f"{source}: " + "; ".join(problems)) from None


# --- against the schema ------------------------------------------------------------------------


def _serving_columns(schema: schema_pb2.Schema) -> list[schema_pb2.Feature]:
    return [f for f in schema.feature if SERVING not in f.not_in_environment]


def default_feature(feature: schema_pb2.Feature) -> Feature:
    """The transform a column gets when the dataset file does not choose one."""
    if feature.type == schema_pb2.BYTES:
        return Feature(transform="vocabulary").with_defaults()
    if feature.type == schema_pb2.INT and feature.HasField("int_domain"):
        domain = feature.int_domain
        if domain.min >= 0 and 0 < domain.max < MAX_INDEX_SIZE:
            return Feature(transform="index", size=domain.max + 1)
    return Feature(transform="zscore")


def _check_hooks(spec: DatasetSpec, source: str) -> None:
    """The hooks module exists and defines the label hook, read without importing it.

    Importing it would import TensorFlow before a runner has sent its logs away;
    Transform imports it for real.
    """
    import ast
    import importlib.util

    if spec.hooks is None:
        return
    try:
        found = importlib.util.find_spec(spec.hooks)
    except (ImportError, ValueError) as e:
        raise DatasetError(f"{source}: hooks: cannot import {spec.hooks!r} ({e})") from None
    if found is None or not found.origin or not found.origin.endswith(".py"):
        raise DatasetError(f"{source}: hooks: cannot import {spec.hooks!r} (no such module)")
    with open(found.origin, encoding="utf-8") as f:
        try:
            tree = ast.parse(f.read(), found.origin)
        except SyntaxError as e:
            raise DatasetError(f"{source}: hooks: {found.origin} does not parse ({e})") from None
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    if spec.label.hook is not None and spec.label.hook not in functions:
        raise DatasetError(
            f"{source}: label.hook: {spec.hooks} has no function {spec.label.hook!r}"
        )


def resolve(spec: DatasetSpec, schema: schema_pb2.Schema, source: str = "dataset") -> DatasetSpec:
    """`spec` checked against `schema`, with a transform for every column the model reads.

    Model features are the schema's serving columns, less the label column,
    the ignored columns and the label hook's inputs that are absent at serving.
    """
    columns = {f.name: f for f in schema.feature}
    serving = {f.name: f for f in _serving_columns(schema)}

    def known(key: str, names) -> None:
        unknown = [n for n in names if n not in columns]
        if unknown:
            raise DatasetError(
                f"{source}: {key}: {', '.join(map(repr, unknown))} not in the schema "
                f"({spec.schema_file}); its columns are {', '.join(columns)}"
            )

    if spec.label.column is not None:
        known("label.column", [spec.label.column])
    known("label.inputs", spec.label.inputs)
    known("ignore", spec.ignore)
    known("features", list(spec.features))
    if spec.time_feature:
        known("time_feature", [spec.time_feature])
    _check_label_type(spec, columns, source)
    _check_hooks(spec, source)

    excluded = {*spec.ignore, *([spec.label.column] if spec.label.column else [])}
    for name in spec.features:
        if name in excluded:
            raise DatasetError(f"{source}: features.{name}: the column is ignored or the label")
        if name not in serving:
            raise DatasetError(
                f"{source}: features.{name}: the schema marks it absent at serving, so a "
                "served model could not read it"
            )
    plan = {}
    for name, feature in serving.items():
        if name in excluded:
            continue
        chosen = spec.features.get(name) or default_feature(feature)
        if chosen.transform == "vocabulary" and feature.type != schema_pb2.BYTES:
            pass  # integer codes as categories are fine
        elif feature.type == schema_pb2.BYTES and chosen.transform != "vocabulary":
            raise DatasetError(
                f"{source}: features.{name}: a text column needs transform 'vocabulary', "
                f"not {chosen.transform!r}"
            )
        plan[name] = chosen.with_defaults()
    if not plan:
        raise DatasetError(f"{source}: no column is left for the model to read")
    _check_crosses(spec, plan, columns, source)
    for key, names in (("slices", spec.slices), ("fairness.features", spec.fairness.features)):
        outside = [n for n in names if n not in plan]
        if outside:
            raise DatasetError(
                f"{source}: {key}: {', '.join(map(repr, outside))} must be model features "
                f"(one of {', '.join(plan)})"
            )
    return spec.model_copy(update={"features": plan})


def _check_crosses(spec: DatasetSpec, plan: dict, columns: dict, source: str) -> None:
    """Each cross combines categorical model features into a table of bounded size."""
    for name, crossed in spec.crosses.items():
        if name in columns:
            raise DatasetError(f"{source}: crosses.{name}: the name is a column of the schema")
        size = 1
        for column in crossed:
            if column not in plan:
                raise DatasetError(
                    f"{source}: crosses.{name}: {column!r} is not a model feature "
                    f"(one of {', '.join(plan)})"
                )
            categories = plan[column].categories()
            if categories is None:
                raise DatasetError(
                    f"{source}: crosses.{name}: {column!r} is a number ({plan[column].transform}); "
                    "cross categories: give it transform bucketize, index or vocabulary"
                )
            size *= categories
        if size > MAX_CROSS_SIZE:
            raise DatasetError(
                f"{source}: crosses.{name}: {size:,} combinations, more than {MAX_CROSS_SIZE:,}: "
                "use fewer buckets or a smaller vocabulary"
            )


def _check_label_type(spec: DatasetSpec, columns: dict, source: str) -> None:
    if spec.label.column is None:
        return
    column = columns[spec.label.column]
    if spec.task == "regression" and column.type == schema_pb2.BYTES:
        raise DatasetError(
            f"{source}: task: regression needs a numeric label, and "
            f"{spec.label.column!r} holds text"
        )
