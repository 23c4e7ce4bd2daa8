"""The worker image (pipeline/container/Dockerfile): linted, and consistent with the
pinned stack and the paths the compiled spec uses. No engine here builds it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import taxi_facts

from pipeline.runners.kubeflow_v2 import IMAGE_PROJECT_DIR, image_schema

PROJECT = Path(__file__).resolve().parents[2]
DOCKERFILE = PROJECT / "pipeline" / "container" / "Dockerfile"


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        pytest.fail("hadolint is not installed; it comes with the dev dependencies (uv sync)")
    return found


def _from_images() -> list[str]:
    return re.findall(r"^FROM (\S+)", DOCKERFILE.read_text(), flags=re.M)


def test_dockerfile_passes_hadolint():
    result = subprocess.run(
        [_hadolint(), str(DOCKERFILE)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_images_match_the_pinned_tfx_and_beam():
    beam, tfx = _from_images()
    assert tfx == f"tensorflow/tfx:{version('tfx')}"
    major, minor = sys.version_info[:2]
    assert beam == f"apache/beam_python{major}.{minor}_sdk:{version('apache-beam')}"


def test_the_project_lands_where_the_compiled_spec_looks():
    text = DOCKERFILE.read_text()
    assert f"WORKDIR {IMAGE_PROJECT_DIR}\n" in text
    assert f"{IMAGE_PROJECT_DIR}/schemas/taxi/schema.pbtxt" == image_schema(taxi_facts.dataset())
    assert "COPY schemas/ schemas/" in text
    # Every package the pipeline imports by name on a worker is copied in.
    for package in ("models", "pipeline"):
        assert f"COPY {package}/ {package}/" in text
    assert "ENV TF_USE_LEGACY_KERAS=1" in text


def test_the_build_context_leaves_out_the_environment_and_outputs():
    ignored = (PROJECT / ".dockerignore").read_text().split()
    assert {".venv", "outputs", ".git"} <= set(ignored)
