"""A new dataset from a folder of CSV files: the schema and the dataset file `init` writes.

TFDV infers the schema from the data; every choice the dataset file makes (the
task, the classes, each column's transform, the slices, the missing-value
tokens) is derived from the statistics and written with a comment that says
why, for a person to review before the first run. A label that cannot be
trained on (no such column, a single value, a task that does not fit it) is
refused with `InitError`, which names the column.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

from tensorflow_metadata.proto.v0 import schema_pb2, statistics_pb2

from models.dataset import (
    CSV_PATTERN,
    DEFAULT_OOV_BUCKETS,
    MAX_INDEX_SIZE,
    NAME_PATTERN,
    SERVING,
    TASKS,
)
from pipeline.inputs import csv_files

# Spellings of a missing value, recognised in columns that otherwise hold numbers.
MISSING_TOKENS = ("NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?", "-")
# An integer column with at most this many distinct values in 0..MAX_INDEX_SIZE-1
# is a category (codes, levels, hours), not a quantity.
MAX_INDEX_VALUES = 50
# A non-negative number whose largest value is this many times its median has a long
# right tail: log1p, so the tail does not dominate the scaling.
LONG_TAIL_RATIO = 4
# A text column with this many distinct values per row is an identifier, not a category.
IDENTIFIER_SHARE = 0.95
# A column missing in more rows than this is left out.
MAX_MISSING_SHARE = 0.95
# Slices: categorical features with few values, at most this many of them.
MAX_SLICE_VALUES = 20
MAX_SLICES = 3
# Classes a multi-class label may have.
MAX_CLASSES = 100
TOP_K_CAP = 1000


class InitError(ValueError):
    """The data cannot become a dataset as asked; the message names the column."""


@dataclasses.dataclass(frozen=True)
class Choice:
    """One column's use in the dataset file, and why."""

    line: str  # the TOML line, e.g. 'fare = { transform = "log" }'
    why: str


@dataclasses.dataclass(frozen=True)
class Draft:
    """What `init` writes: the schema, and the dataset file's text."""

    schema: schema_pb2.Schema
    dataset_toml: str
    task: str
    classes: tuple[str, ...]
    rows: int


def _header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as f:
        return next(csv.reader(f), [])


def column_values(files: list[Path], column: str) -> list[str]:
    """Every cell of one column, as text."""
    values = []
    for path in files:
        with path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            values += [row.get(column) or "" for row in reader]
    return values


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def detect_missing_tokens(files: list[Path]) -> tuple[str, ...]:
    """Missing-value spellings found in columns whose other cells are all numbers."""
    found = set()
    for column in _header(files[0]):
        cells = [c for c in column_values(files, column) if c != ""]
        tokens = {c for c in cells if c in MISSING_TOKENS}
        numbers = [c for c in cells if c not in tokens]
        if tokens and numbers and all(_is_number(c) for c in numbers):
            found |= tokens
    return tuple(sorted(found))


def _features(stats: statistics_pb2.DatasetFeatureStatisticsList) -> dict:
    data = stats.datasets[0]
    return {".".join(f.path.step) or f.name: f for f in data.features}


def _common(feature):
    kind = feature.WhichOneof("stats")
    return getattr(feature, kind).common_stats


def _missing_share(feature, rows: int) -> float:
    common = _common(feature)
    present = common.tot_num_values if common.max_num_values <= 1 else common.num_non_missing
    return 1.0 - present / rows if rows else 0.0


def choose_task(label: str, values: list[str], asked: str | None) -> tuple[str, tuple[str, ...]]:
    """(task, classes) for a label column's values; InitError when they do not fit."""
    present = [v for v in values if v != ""]
    distinct = sorted(set(present))
    if not present:
        raise InitError(f"label column {label!r} is empty in every row")
    if len(distinct) < 2:
        raise InitError(
            f"label column {label!r} holds one value ({distinct[0]!r}) in every row: there is "
            "nothing to predict"
        )
    numeric = all(_is_number(v) for v in distinct)
    integral = numeric and all(float(v).is_integer() for v in distinct)
    task = asked
    if task is None:
        if not numeric or (integral and len(distinct) <= 10):
            task = "binary" if len(distinct) == 2 else "multiclass"
        else:
            task = "regression"
    if task not in TASKS:
        raise InitError(f"--task must be one of {', '.join(TASKS)}, got {task!r}")
    if task == "regression" and not numeric:
        raise InitError(
            f"task regression needs a numeric label, and {label!r} holds text "
            f"(e.g. {distinct[0]!r})"
        )
    if task == "binary" and len(distinct) != 2:
        raise InitError(
            f"task binary needs a label with 2 values, and {label!r} has {len(distinct)}"
        )
    if task == "multiclass" and (len(distinct) > MAX_CLASSES or (numeric and not integral)):
        raise InitError(
            f"task multiclass needs a label with at most {MAX_CLASSES} classes, and {label!r} "
            f"has {len(distinct)} distinct values" + (" that are not integers" if numeric else "")
        )
    if task == "regression":
        return task, ()
    if integral:
        distinct = sorted(distinct, key=float)
        distinct = [str(int(float(v))) for v in distinct]
    return task, tuple(distinct)


def _numeric_choice(name: str, feature, distinct: int) -> Choice:
    num = feature.num_stats
    is_int = feature.type == statistics_pb2.FeatureNameStatistics.INT
    if is_int and num.min >= 0 and num.max < MAX_INDEX_SIZE and 0 < distinct <= MAX_INDEX_VALUES:
        size = int(num.max) + 1
        return Choice(
            f'{name} = {{ transform = "index", size = {size} }}',
            f"{distinct} distinct integers in {int(num.min)}..{int(num.max)}: a category",
        )
    if num.min >= 0 and num.max > LONG_TAIL_RATIO * max(num.median, 0):
        return Choice(
            f'{name} = {{ transform = "log" }}',
            f"non-negative with a long right tail (largest {num.max:.4g}, median {num.median:.4g})",
        )
    return Choice(
        f'{name} = {{ transform = "zscore" }}',
        f"a number (mean {num.mean:.4g}, standard deviation {num.std_dev:.4g})",
    )


def _text_choice(name: str, feature, rows: int) -> Choice | None:
    """A vocabulary, or None for a column that identifies rows rather than describes them."""
    unique = int(feature.string_stats.unique)
    if rows and unique >= IDENTIFIER_SHARE * rows and unique > MAX_SLICE_VALUES:
        return None
    top_k = min(TOP_K_CAP, max(1, unique))
    oov = min(DEFAULT_OOV_BUCKETS, max(1, unique // 10))
    return Choice(
        f'{name} = {{ transform = "vocabulary", top_k = {top_k}, oov_buckets = {oov} }}',
        f"text with {unique} distinct values; unseen ones share {oov} hashed bucket(s)",
    )


def infer_schema(stats, label: str) -> schema_pb2.Schema:
    """TFDV's schema of the data, with the label required and absent at serving."""
    import tensorflow_data_validation as tfdv

    schema = tfdv.infer_schema(stats, infer_feature_shape=True)
    schema.default_environment.extend(["TRAINING", SERVING])
    for feature in schema.feature:
        if feature.name == label:
            feature.not_in_environment.append(SERVING)
            feature.presence.min_fraction = 1.0
        elif feature.presence.min_fraction < 1.0 and feature.HasField("value_count"):
            # The statistics count a missing cell as an absent value; ExampleGen
            # writes it as an empty list, which a minimum of one value rejects.
            feature.value_count.ClearField("min")
    return schema


def draft(
    data_root: str | Path,
    label: str,
    name: str,
    task: str | None = None,
    missing_values: tuple[str, ...] | None = None,
    pattern: str = CSV_PATTERN,
) -> Draft:
    """Infer the schema and every choice of the dataset file from `data_root`'s CSV files."""
    import re

    from pipeline.inputs import csv_statistics

    if not re.match(NAME_PATTERN, name):
        raise InitError(
            f"--name {name!r}: use lower-case letters, digits, '-' and '_', starting with a letter"
        )
    files = csv_files(data_root, pattern)
    header = _header(files[0])
    if label not in header:
        raise InitError(
            f"label column {label!r} is not in {files[0]} (its columns: {', '.join(header)})"
        )
    tokens = detect_missing_tokens(files) if missing_values is None else tuple(missing_values)
    label_values = [v if v not in tokens else "" for v in column_values(files, label)]
    chosen_task, classes = choose_task(label, label_values, task)
    stats = csv_statistics(data_root, tokens, pattern=pattern)
    rows = stats.datasets[0].num_examples
    schema = infer_schema(stats, label)
    columns = _features(stats)
    choices: dict[str, Choice] = {}
    ignored: dict[str, str] = {}
    for column in header:
        if column == label or column not in columns:
            continue
        feature = columns[column]
        if _missing_share(feature, rows) > MAX_MISSING_SHARE:
            ignored[column] = f"missing in {_missing_share(feature, rows):.0%} of rows"
            continue
        if feature.HasField("string_stats"):
            choice = _text_choice(column, feature, rows)
            if choice is None:
                ignored[column] = "a distinct value in nearly every row: an identifier"
                continue
        else:
            distinct = len({v for v in column_values(files, column) if v not in ("", *tokens)})
            choice = _numeric_choice(column, feature, distinct)
        choices[column] = choice
    text = render(
        name=name,
        task=chosen_task,
        label=label,
        classes=classes,
        data_root=Path(data_root),
        pattern=pattern,
        tokens=tokens,
        choices=choices,
        ignored=ignored,
        slices=_slices(choices, columns),
        rows=rows,
    )
    return Draft(schema=schema, dataset_toml=text, task=chosen_task, classes=classes, rows=rows)


def _slices(choices: dict[str, Choice], columns: dict) -> list[str]:
    """Categorical features with few values: the first few, for per-slice metrics."""
    picked = []
    for name, choice in choices.items():
        feature = columns[name]
        few = (
            feature.HasField("string_stats") and feature.string_stats.unique <= MAX_SLICE_VALUES
        ) or '"index"' in choice.line
        if few:
            picked.append(name)
    return picked[:MAX_SLICES]


def _toml_list(values) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def render(
    *,
    name: str,
    task: str,
    label: str,
    classes: tuple[str, ...],
    data_root: Path,
    pattern: str,
    tokens: tuple[str, ...],
    choices: dict[str, Choice],
    ignored: dict[str, str],
    slices: list[str],
    rows: int,
) -> str:
    """The dataset file, every inferred choice visible and commented."""
    lines = [
        f"# Dataset {name!r}, written by `python -m pipeline init` from {rows:,} rows of",
        f"# {data_root}.",
        "# Every choice below was inferred from the data: review it, then run",
        f"# `python run_local.py --dataset {name}` if this file is schemas/{name}/dataset.toml,",
        "# else give its path. Every key is documented in models/dataset.py.",
        "",
        f"name = {json.dumps(name)}",
        f"# {_task_reason(task, classes)}",
        f"task = {json.dumps(task)}",
        'description = ""',
        "# Cells holding these count as missing values, like empty cells.",
        f"missing_values = {_toml_list(tokens)}",
    ]
    for column, why in ignored.items():
        lines.append(f"# {column}: left out, {why}.")
    lines.append(f"ignore = {_toml_list(ignored)}")
    lines.append("# Metrics are also reported per value of these (categorical, few values).")
    lines.append(f"slices = {_toml_list(slices)}")
    lines += ["", "[data]", f"folder = {json.dumps(str(data_root.resolve()))}"]
    if pattern != CSV_PATTERN:
        lines.append(f"files = {json.dumps(pattern)}")
    lines += ["", "[label]"]
    lines.append(f"column = {json.dumps(label)}")
    if classes:
        order = "negative, then positive" if task == "binary" else "in index order"
        lines.append(f"# The classes ({order}).")
        lines.append(f"classes = {_toml_list(classes)}")
    lines += ["", "[features]"]
    for choice in choices.values():
        lines.append(f"# {choice.why}")
        lines.append(choice.line)
    lines += [
        "",
        "[fairness]",
        "# Features whose slices' error rates are compared, e.g. a group attribute.",
        "features = []",
        f"min_slice_examples = {max(10, min(100, rows // 100))}",
        "# Why a compared feature's gaps may reflect how the data was recorded rather",
        "# than the model, shown beside them in the report, notebook and model card:",
        '# caveats = { feature = "one sentence" }',
        "",
        "[thresholds]",
        "# Blessed only when it beats the trivial predictor (majority class, or the train",
        "# mean) on the eval split by this margin, and keeps up with the last blessed model.",
        "margin_over_trivial = 0.02",
        "",
        *MODEL_CARD_TEMPLATE,
    ]
    return "\n".join(lines)


# Commented out: the model card's people and risks are for the dataset's owner to write.
MODEL_CARD_TEMPLATE = (
    "# For the model card: who answers for the model, and the risks its use carries.",
    "# [[owners]]",
    '# name = "a team"',
    '# contact = "where to reach it"',
    "#",
    "# [[ethical_considerations]]",
    '# name = "a risk"',
    '# mitigation_strategy = "what is done about it"',
    "",
)


def _task_reason(task: str, classes: tuple[str, ...]) -> str:
    if task == "regression":
        return "The label is a number with many distinct values: regression."
    return f"The label takes {len(classes)} values: {task} classification."


def write(draft_: Draft, folder: Path, *, force: bool = False) -> tuple[Path, Path]:
    """Write `schema.pbtxt` and `dataset.toml` into `folder`; refuses to overwrite (unless
    `force`)."""
    from google.protobuf import text_format

    folder.mkdir(parents=True, exist_ok=True)
    schema_path, dataset_path = folder / "schema.pbtxt", folder / "dataset.toml"
    existing = [str(p) for p in (schema_path, dataset_path) if p.exists()]
    if existing and not force:
        raise InitError(f"{', '.join(existing)} already exist(s): pass --force to replace")
    header = (
        "# Schema inferred by TFDV (`python -m pipeline init`): review the types, the\n"
        "# required columns (presence) and the value domains before the first run.\n"
    )
    schema_path.write_text(header + text_format.MessageToString(draft_.schema))
    dataset_path.write_text(draft_.dataset_toml)
    return schema_path, dataset_path
