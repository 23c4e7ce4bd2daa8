"""The command line: flags, and bad input stopped before anything runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PROJECT / "run_local.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=PROJECT,
    )


@pytest.fixture
def served(tmp_path) -> Path:
    """A serving directory that already holds a pushed version."""
    version = tmp_path / "serving" / "taxi" / "1700000000"
    (version / "variables").mkdir(parents=True)
    (version / "saved_model.pb").write_bytes(b"an earlier model")
    return tmp_path / "serving"


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_help_lists_the_flags_a_user_needs():
    result = run_cli("--help", timeout=60)
    assert result.returncode == 0
    for flag in (
        "--data-root",
        "--pipeline-root",
        "--serving-dir",
        "--model-name",
        "--train-steps",
        "--beam-arg",
        "--direct-running-mode",
        "--no-cache",
        "--verbose",
        "--tune",
        "--tune-trials",
        "--fairness-blocking",
        "--max-fpr-gap",
        "--max-fnr-gap",
        "--fairness-slice",
    ):
        assert flag in result.stdout


def _missing_folder(data: Path) -> Path:
    return data / "missing"


def _empty_folder(data: Path) -> Path:
    return data


def _csv_without_most_columns(data: Path) -> Path:
    (data / "x.csv").write_text("fare,tips\n1.0,0.5\n")
    return data


@pytest.mark.parametrize(
    "make_data, message",
    [
        (_missing_folder, "does not exist"),
        (_empty_folder, "holds no *.csv files"),
        (_csv_without_most_columns, "missing column(s) pickup_community_area"),
    ],
    ids=["missing-folder", "empty-folder", "missing-columns"],
)
def test_bad_input_stops_before_training_and_keeps_the_served_model(
    tmp_path, served, make_data, message
):
    data = tmp_path / "data"
    data.mkdir()
    data_root = make_data(data)
    before = _snapshot(served)
    result = run_cli(
        "--data-root",
        str(data_root),
        "--pipeline-root",
        str(tmp_path / "root"),
        "--serving-dir",
        str(served),
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in " ".join(result.stdout.split())
    assert "Nothing was trained or pushed." in result.stdout
    assert _snapshot(served) == before
    assert not (tmp_path / "root" / "metadata.sqlite").exists()


def test_wrong_type_is_reported_with_file_and_column(tmp_path, sample_csv, served):
    lines = sample_csv.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("trip_seconds")] = "ten minutes"
    data = tmp_path / "data"
    data.mkdir()
    (data / "trips.csv").write_text("\n".join([lines[0], *lines[2:40], ",".join(row)]) + "\n")
    result = run_cli(
        "--data-root",
        str(data),
        "--pipeline-root",
        str(tmp_path / "root"),
        "--serving-dir",
        str(served),
    )
    assert result.returncode == 2
    out = " ".join(result.stdout.split())
    assert "trips.csv: column 'trip_seconds' must hold integer values at line 40" in out
    assert "'ten minutes'" in out


def test_a_failing_component_is_named_with_its_error(tmp_path, served):
    before = _snapshot(served)
    result = run_cli(
        "--pipeline-root", str(tmp_path / "root"), "--serving-dir", str(served),
        "--beam-arg=--direct_num_workers=abc", timeout=300,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        "CsvExampleGen failed: run_local.py: error: argument --direct_num_workers: "
        "invalid int value: 'abc'"
    ) in result.stdout
    assert "Full log: " in result.stdout
    assert result.stderr == "", "framework noise goes to the log file"
    assert _snapshot(served) == before


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--beam-runner", "flink"], "--beam-runner flink needs --job-endpoint HOST:PORT"),
        (["--beam-runner", "dask"], "The dask runner is refused"),
        (["--beam-runner", "dataflow"], "missing: --project, --region, --temp-location"),
    ],
    ids=["flink-without-job-service", "dask", "dataflow-without-project"],
)
def test_unusable_beam_runner_settings_stop_before_anything_runs(tmp_path, served, flags, message):
    result = run_cli(
        "--pipeline-root", str(tmp_path / "root"), "--serving-dir", str(served), *flags
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in " ".join(result.stdout.split())
    assert "Nothing was trained or pushed." in result.stdout
    assert not (tmp_path / "root" / "metadata.sqlite").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--max-fnr-gap", "1.5"], "max_false_negative_rate_gap must be in [0, 1], got 1.5"),
        (
            ["--fairness-slice", "tips"],
            "fairness slice features must be model features, got ['tips']",
        ),
        (["--fairness-min-examples", "0"], "min_slice_examples must be at least 1"),
    ],
)
def test_bad_fairness_settings_stop_before_anything_runs(
    tmp_path, sample_csv, served, flags, message
):
    before = _snapshot(served)
    result = run_cli(
        "--data-root", str(sample_csv.parent), "--pipeline-root", str(tmp_path / "root"),
        "--serving-dir", str(served), *flags,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in " ".join(result.stdout.split())
    assert "Nothing was trained or pushed." in result.stdout
    assert _snapshot(served) == before
    assert not (tmp_path / "root" / "metadata.sqlite").exists()


def test_the_tuner_budget_must_allow_a_trial():
    result = run_cli("--tune", "--tune-trials", "0", timeout=60)
    assert result.returncode == 2
    assert "--tune-trials and --tune-steps must be at least 1" in result.stderr


BAD_DATASETS = [
    # (case, what replaces a line of the taxi dataset file, words of the message)
    ("unknown key", ("slices = ", 'colour = "dark"\nslices = '), ["colour", "unknown key"]),
    ("wrong type", ('task = "binary"', "task = 2"), ["task"]),
    (
        "feature missing from the schema",
        ("[features]", '[features]\ntip_share = { transform = "zscore" }'),
        ["features", "tip_share", "not in the schema"],
    ),
    (
        "hook that cannot be imported",
        ('hooks = "models.hooks.taxi"', 'hooks = "models.hooks.no_such_hooks"'),
        ["hooks", "models.hooks.no_such_hooks"],
    ),
]


@pytest.fixture
def existing_store(tmp_path) -> Path:
    """A pipeline root whose ML Metadata store already exists (a real, empty one)."""
    from ml_metadata.metadata_store import metadata_store
    from ml_metadata.proto import metadata_store_pb2

    root = tmp_path / "root"
    root.mkdir()
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(root / "metadata.sqlite")
    config.sqlite.connection_mode = (
        metadata_store_pb2.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    )
    metadata_store.MetadataStore(config)
    return root


@pytest.mark.parametrize(
    ("case", "change", "words"), BAD_DATASETS, ids=[c[0] for c in BAD_DATASETS]
)
def test_a_bad_dataset_file_stops_before_anything_runs(
    tmp_path, served, existing_store, case, change, words
):
    import schemas

    taxi = schemas.dataset_file("taxi")
    folder = tmp_path / "mine"
    folder.mkdir()
    text = taxi.read_text()
    old, new = change
    assert old in text, case
    (folder / "dataset.toml").write_text(text.replace(old, new, 1))
    (folder / "schema.pbtxt").write_bytes((taxi.parent / "schema.pbtxt").read_bytes())
    served_before, store_before = _snapshot(served), _snapshot(existing_store)
    result = run_cli(
        "--dataset", str(folder / "dataset.toml"), "--pipeline-root", str(existing_store),
        "--serving-dir", str(served),
    )  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    said = " ".join(result.stdout.split())
    assert "Dataset error" in said and str(folder / "dataset.toml") in said
    for word in words:
        assert word in said, f"{case}: {word!r} not in {said!r}"
    assert "Nothing was trained or pushed." in said
    assert _snapshot(served) == served_before
    assert _snapshot(existing_store) == store_before, "the store is untouched"


def test_an_unknown_dataset_name_lists_the_bundled_ones(tmp_path):
    result = run_cli("--dataset", "no-such-data", "--pipeline-root", str(tmp_path / "root"))
    assert result.returncode == 2
    assert "no dataset 'no-such-data'" in result.stdout and "penguins" in result.stdout
    assert not (tmp_path / "root").exists()
