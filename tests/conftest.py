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
