"""Test-wide setup shared by every test module."""

from __future__ import annotations

import csv
import dataclasses
import os
from pathlib import Path

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Keras 2 (tf-keras), as in run_local.py: it must be chosen before the
    # first TensorFlow import, which happens when test modules are collected.
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def schema():
    from pipeline.inputs import load_schema
    from pipeline.runtime import packaged_schema

    return load_schema(packaged_schema())


@pytest.fixture(scope="session")
def sample_csv() -> Path:
    """The Chicago taxi sample that ships inside the tfx package."""
    from pipeline.runtime import default_data_root

    return default_data_root() / "data.csv"


@pytest.fixture(scope="session")
def pipeline_run(tmp_path_factory):
    """The real pipeline run once on the taxi sample; its config (paths, thresholds).

    Shared by the end-to-end tests of the pipeline and of serving its model.
    """
    from pipeline.local import run_pipeline
    from pipeline.runtime import default_data_root

    root = tmp_path_factory.mktemp("e2e")
    config = pipeline_config(root, default_data_root(), "taxi-e2e", train_steps=1000)
    run_pipeline(config)
    return config


PROJECT = Path(__file__).resolve().parents[1]


def pipeline_config(root: Path, data_root: Path, name: str, **settings):
    """A PipelineConfig under `root` as run_local.py builds it, provenance included."""
    from pipeline import PipelineConfig
    from pipeline.config import Provenance
    from pipeline.inputs import csv_files
    from pipeline.runtime import (
        code_fingerprint,
        data_file_hashes,
        git_state,
        packaged_schema,
        stage_schema,
    )

    commit, dirty = git_state(PROJECT)
    provenance = Provenance(
        git_commit=commit,
        git_dirty=dirty,
        data_files=data_file_hashes(data_root, csv_files(data_root)),
    )
    return PipelineConfig(
        pipeline_name=name,
        pipeline_root=str(root / "pipeline"),
        data_root=str(data_root),
        schema_path=str(stage_schema(packaged_schema(), root / "pipeline")),
        serving_dir=str(root / "serving"),
        metadata_path=str(root / "pipeline" / "metadata.sqlite"),
        code_fingerprint=code_fingerprint(),
        **{"provenance": provenance, **settings},
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
        from models import features as F

        skewed = []
        for i, row in enumerate(rows):
            row = {**row, F.FARE_KEY: str(float(row[F.FARE_KEY]) * self.fare_factor)}
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
