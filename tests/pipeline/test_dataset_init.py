"""`python -m pipeline init` on a dataset the code has never seen (tests/synthetic.py).

What it infers (task, classes, missing-value tokens, each column's transform,
what it leaves out), that what it writes reads back as a valid dataset, and
what it refuses (exit 2, the column named). The full pipeline on what it
writes runs in test_datasets_e2e.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import synthetic

from pipeline.cli import main
from pipeline.runners.configs import load_dataset


def init(data: Path, output: Path, *extra: str, name: str = "shapes") -> int:
    return main(
        ["init", "--data-root", str(data), "--label", synthetic.LABEL, "--name", name,
         "--output", str(output), *extra]
    )  # fmt: skip


@pytest.fixture(scope="module")
def initialised(tmp_path_factory) -> dict:
    """Each task's data, and the dataset `init` wrote for it (resolved against its schema)."""
    written = {}
    for task in synthetic.TASKS:
        root = tmp_path_factory.mktemp(task)
        data = synthetic.write(root / "data", task)
        assert init(data, root / "dataset", name=f"synthetic-{task}") == 0
        written[task] = load_dataset(root / "dataset" / "dataset.toml")
    return written


@pytest.mark.parametrize("task", synthetic.TASKS)
def test_the_task_and_classes_are_inferred_from_the_label(initialised, task):
    spec = initialised[task].spec
    assert spec.task == task
    assert spec.label.column == synthetic.LABEL
    if task == "regression":
        assert spec.label.classes == ()
    else:
        assert spec.label.classes == tuple(sorted(synthetic.CLASSES[task]))


@pytest.mark.parametrize("task", synthetic.TASKS)
def test_each_column_gets_a_transform_that_fits_its_values(initialised, task):
    spec = initialised[task].spec
    transforms = {name: f.transform for name, f in spec.features.items()}
    assert transforms == {
        synthetic.NUMERIC: "zscore",
        synthetic.LONG_TAILED: "log",
        synthetic.CATEGORY: "vocabulary",
        synthetic.CODE: "index",
        synthetic.GROUP: "vocabulary",
    }
    assert spec.features[synthetic.CODE].size == 5
    assert synthetic.IDENTIFIER in spec.ignore
    assert synthetic.GROUP in spec.slices and synthetic.CATEGORY in spec.slices


def test_missing_value_spellings_are_found(initialised):
    assert initialised["binary"].spec.missing_values == (synthetic.MISSING_TOKEN,)


def test_the_schema_keeps_the_label_out_of_serving(initialised):
    schema = initialised["multiclass"].schema
    label = next(f for f in schema.feature if f.name == synthetic.LABEL)
    assert "SERVING" in label.not_in_environment
    # A missing cell reaches the validator as an empty value list: optional columns
    # may hold none (with a minimum of one, every missing cell would be an anomaly).
    size = next(f for f in schema.feature if f.name == synthetic.NUMERIC)
    assert size.presence.min_fraction < 1 and not size.value_count.HasField("min")


def test_the_written_file_comments_every_choice(initialised):
    text = initialised["binary"].file.read_text()
    for name in initialised["binary"].spec.features:
        line = next(i for i, s in enumerate(text.splitlines()) if s.startswith(f"{name} = "))
        assert text.splitlines()[line - 1].startswith("# "), name
    assert f"# {synthetic.IDENTIFIER}: left out" in text


def test_a_numeric_coded_label_becomes_classes(tmp_path):
    data = synthetic.write(tmp_path / "data", "multiclass")
    rows = list(csv.DictReader((data / "data.csv").open()))
    codes = {"low": "1", "mid": "2", "high": "3"}
    with (data / "data.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, synthetic.LABEL: codes[r[synthetic.LABEL]]} for r in rows)
    assert init(data, tmp_path / "dataset") == 0
    spec = load_dataset(tmp_path / "dataset" / "dataset.toml").spec
    assert (spec.task, spec.label.classes) == ("multiclass", ("1", "2", "3"))


def _set_label(data: Path, value: str) -> None:
    rows = list(csv.DictReader((data / "data.csv").open()))
    with (data / "data.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, synthetic.LABEL: value} for r in rows)


REFUSALS = [
    # (case, the task's data, change to the data, extra flags, words of the message)
    ("no such label column", "binary", None, ["--label", "income"], ["'income'", "size"]),
    ("a label with one value", "binary", "yes", [], ["outcome", "one value"]),
    ("regression on a text label", "binary", None, ["--task", "regression"], ["numeric label"]),
    ("binary on three classes", "multiclass", None, ["--task", "binary"], ["binary", "3"]),
    ("a bad name", "binary", None, ["--name", "My Data"], ["--name", "My Data"]),
]


@pytest.mark.parametrize(
    ("case", "task", "label_value", "flags", "words"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_init_refuses_with_exit_2_and_names_the_problem(
    tmp_path, capsys, case, task, label_value, flags, words
):
    data = synthetic.write(tmp_path / "data", task, count=200)
    if label_value is not None:
        _set_label(data, label_value)
    # argparse keeps the last of a repeated flag: the case's own --label/--name win.
    assert init(data, tmp_path / "dataset", *flags) == 2
    message = capsys.readouterr().err
    for word in words:
        assert word in message, f"{case}: {word!r} not in {message!r}"
    assert not (tmp_path / "dataset").exists(), "a refused init writes nothing"


def test_init_does_not_overwrite_a_reviewed_dataset_unless_forced(tmp_path, capsys):
    data = synthetic.write(tmp_path / "data", "binary", count=200)
    assert init(data, tmp_path / "dataset") == 0
    reviewed = tmp_path / "dataset" / "dataset.toml"
    reviewed.write_text(reviewed.read_text() + "\n# reviewed by a person\n")
    assert init(data, tmp_path / "dataset") == 2
    assert "--force" in capsys.readouterr().err
    assert reviewed.read_text().endswith("# reviewed by a person\n")
    assert init(data, tmp_path / "dataset", "--force") == 0
    assert "reviewed by a person" not in reviewed.read_text()


def test_the_model_card_template_reads_back_once_uncommented(initialised, tmp_path):
    from pipeline.dataset_init import MODEL_CARD_TEMPLATE

    written = initialised["binary"].file
    text = written.read_text()
    assert '# caveats = { feature = "one sentence" }' in text
    template = "\n".join(MODEL_CARD_TEMPLATE)
    assert template in text
    filled = text.replace(template, "\n".join(line[2:] for line in MODEL_CARD_TEMPLATE[1:-1]))
    edited = tmp_path / "dataset.toml"
    edited.write_text(filled)
    (tmp_path / "schema.pbtxt").write_text((written.parent / "schema.pbtxt").read_text())

    spec = load_dataset(edited).spec
    assert [(o.name, o.contact) for o in spec.owners] == [("a team", "where to reach it")]
    assert [c.name for c in spec.ethical_considerations] == ["a risk"]
