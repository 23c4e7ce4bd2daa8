"""Test-wide setup shared by every test module."""

from __future__ import annotations

import csv
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="save the HTML report's banners and slice section to docs/screenshots/ "
        "(tests/reports/test_html_in_browser.py, end to end)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Before the first TensorFlow import, which happens when test modules are collected.
    from models.keras_version import use_keras_2

    use_keras_2()


@pytest.fixture(scope="session")
def schema():
    from schemas import load_schema

    return load_schema()


@pytest.fixture(scope="session")
def taxi():
    """The bundled taxi dataset, resolved against its schema (runners.configs.Dataset)."""
    from pipeline.runners.configs import load_dataset

    return load_dataset("taxi")


@pytest.fixture(scope="session")
def sample_csv() -> Path:
    """The Chicago taxi sample that ships inside the tfx package."""
    from pipeline.defaults import sample_data_root

    return sample_data_root() / "data.csv"


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """The real pipeline run once on the taxi sample; its config (paths, thresholds).

    Shared by the end-to-end tests of the pipeline and of serving its model.
    """
    from pipeline.defaults import sample_data_root
    from pipeline.runners.local import run_pipeline

    root = tmp_path_factory.mktemp("e2e")
    config = pipeline_config(root, sample_data_root(), "taxi-e2e", train_steps=1000)
    run_pipeline(config)
    return config


def pipeline_config(root: Path, data_root: Path, name: str, **settings):
    """A PipelineConfig under `root` as run_local.py builds it, provenance included."""
    from pipeline.inputs import csv_files
    from pipeline.runners.configs import local_config, provenance
    from schemas import packaged_schema

    return local_config(
        pipeline_name=name,
        pipeline_root=root / "pipeline",
        data_root=data_root,
        schema=packaged_schema(),
        serving_dir=root / "serving",
        **{"provenance": provenance(data_root, csv_files(data_root)), **settings},
    )


@pytest.fixture(scope="session")
def small_config():
    """`pipeline_config`, for tests that run the pipeline on a small sample of their own."""
    return pipeline_config


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory):
    """Local `python -m serving` processes, all stopped at the end of the session."""
    from live_servers import ServerPool

    pool = ServerPool(tmp_path_factory)
    yield pool
    pool.stop_all()


@dataclasses.dataclass(frozen=True)
class TripSkew:
    """How the tests make a skewed data span out of the taxi sample."""

    fare_factor: float = 10.0
    new_payment_type: str = "Mobile"  # a value the schema's domain does not know
    every: int = 3  # one row in `every` gets the new payment type

    def apply(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        """Copies of `rows` with scaled fares and, in some rows, the new payment type."""
        skewed = []
        for i, row in enumerate(rows):
            row = {**row, "fare": str(float(row["fare"]) * self.fare_factor)}
            if i % self.every == 0:
                row["payment_type"] = self.new_payment_type
            skewed.append(row)
        return skewed


@pytest.fixture(scope="session")
def trip_skew() -> TripSkew:
    return TripSkew()


@pytest.fixture(scope="session")
def sample_rows(sample_csv) -> list[dict[str, str]]:
    """The rows of the taxi sample, as csv.DictReader reads them."""
    with sample_csv.open(newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write `rows` (dicts with the same keys) as a CSV file with a header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="session")
def csv_writer():
    """`write_csv`, for tests that build data spans."""
    return write_csv


# --- datasets other than taxi, each run through run_local.py --------------------------------


PROJECT = Path(__file__).resolve().parents[1]
# Small data: early stopping ends sooner; this bounds the slowest case.
DATASET_TRAIN_STEPS = 600


@dataclasses.dataclass(frozen=True)
class DatasetRun:
    """One `run_local.py --dataset ...` run: its output and where it wrote."""

    name: str  # the dataset's, its pipeline's and its served model's name
    dataset_file: Path
    pipeline_root: Path
    serving_dir: Path
    result: subprocess.CompletedProcess

    @property
    def said(self) -> str:
        """What the run printed, whitespace collapsed."""
        return " ".join(self.result.stdout.split())

    def newest_version(self) -> Path:
        from models import layout

        base = self.serving_dir / self.name
        return base / layout.version_names(base)[-1]

    def open(self):
        """The run, read back through ML Metadata (pipeline.metadata.run.Run)."""
        from pipeline.metadata.run import open_run

        return open_run(self.pipeline_root, pipeline_name=self.name)


def run_dataset(dataset: str | Path, root: Path, serving_dir: Path, *flags: str) -> DatasetRun:
    """`run_local.py --dataset DATASET` with its own pipeline root and a shared serving dir."""
    from schemas import read_dataset

    spec, file = read_dataset(dataset)
    result = subprocess.run(
        [sys.executable, str(PROJECT / "run_local.py"), "--dataset", str(dataset),
         "--pipeline-root", str(root), "--serving-dir", str(serving_dir),
         "--train-steps", str(DATASET_TRAIN_STEPS), *flags],
        capture_output=True, text=True, timeout=1200, cwd=PROJECT,
    )  # fmt: skip
    return DatasetRun(spec.name, file, root, serving_dir, result)


@pytest.fixture(scope="session")
def shared_serving(tmp_path_factory) -> Path:
    """One serving folder every dataset's run pushes into, under its own model name."""
    return tmp_path_factory.mktemp("several-models") / "serving"


@pytest.fixture(scope="session")
def penguins_run(tmp_path_factory, shared_serving) -> DatasetRun:
    """The bundled penguins dataset, end to end, as `make run ARGS="--dataset penguins"`."""
    return run_dataset("penguins", tmp_path_factory.mktemp("penguins"), shared_serving)


@pytest.fixture(scope="session")
def synthetic_runs(tmp_path_factory, shared_serving) -> dict[str, DatasetRun]:
    """A never-seen dataset per task: `pipeline init` on generated CSV, then the pipeline."""
    import synthetic

    from pipeline.cli import main

    runs = {}
    for task in synthetic.TASKS:
        root = tmp_path_factory.mktemp(f"synthetic-{task}")
        data = synthetic.write(root / "data", task)
        code = main(
            ["init", "--data-root", str(data), "--label", synthetic.LABEL,
             "--name", f"synthetic-{task}", "--output", str(root / "dataset")]
        )  # fmt: skip
        assert code == 0, f"init failed for {task}"
        runs[task] = run_dataset(
            root / "dataset" / "dataset.toml", root / "pipeline", shared_serving
        )
    return runs
