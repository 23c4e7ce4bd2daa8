"""Test-wide setup shared by every test module."""

from __future__ import annotations

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
    from pipeline import PipelineConfig
    from pipeline.local import run_pipeline
    from pipeline.runtime import code_fingerprint, default_data_root, packaged_schema, stage_schema

    root = tmp_path_factory.mktemp("e2e")
    config = PipelineConfig(
        pipeline_name="taxi-e2e",
        pipeline_root=str(root / "pipeline"),
        data_root=str(default_data_root()),
        schema_path=str(stage_schema(packaged_schema(), root / "pipeline")),
        serving_dir=str(root / "serving"),
        metadata_path=str(root / "pipeline" / "metadata.sqlite"),
        train_steps=1000,
        code_fingerprint=code_fingerprint(),
    )
    run_pipeline(config)
    return config


@pytest.fixture(scope="session")
def server_pool(tmp_path_factory):
    """Local `python -m serving` processes, all stopped at the end of the session."""
    from live_servers import ServerPool

    pool = ServerPool(tmp_path_factory)
    yield pool
    pool.stop_all()
