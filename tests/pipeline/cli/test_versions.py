"""`python -m pipeline versions` and `rollback`, on the session's real pipeline run."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.fingerprints import code_fingerprint
from pipeline.metadata import versions
from pipeline.runners.rollback import RollbackError, rollback

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture
def pushed(pipeline_run) -> versions.PushedVersion:
    """The session run's first push (other tests may retrain and push more)."""
    return versions.pushed_versions(pipeline_run.metadata_path)[0]


def test_a_pushed_version_carries_its_metrics_and_lineage(pipeline_run, pushed):
    listed = versions.pushed_versions(pipeline_run.metadata_path)
    assert [v.version for v in listed] == sorted(
        (p.name for p in Path(pipeline_run.push_base_directory).iterdir()), key=int
    )
    assert pushed.path == str(Path(pipeline_run.push_base_directory) / pushed.version)
    assert pushed.metrics["auc"] >= pipeline_run.thresholds.min_auc, "only blessed models push"
    assert pushed.metrics["binary_accuracy"] >= pipeline_run.thresholds.min_accuracy
    assert pushed.code == code_fingerprint(modules=(pipeline_run.dataset.hooks,))
    assert pushed.seed == pipeline_run.seed
    assert pushed.data.startswith(pipeline_run.data_root) and "total_bytes:" in pushed.data
    assert pushed.run_id and Path(pushed.model_uri).is_dir()


@pytest.fixture
def serving_copy(pipeline_run, pushed, tmp_path) -> Path:
    """The served folder plus a newer version that did not come from this pipeline."""
    base = tmp_path / "serving" / pipeline_run.model_name
    shutil.copytree(pushed.path, base / pushed.version)
    shutil.copytree(pushed.path, base / str(int(pushed.version) + 1))
    return base


def test_rollback_serves_the_pushed_version_again_as_the_newest(pipeline_run, pushed, serving_copy):
    new = rollback(pipeline_run.metadata_path, str(serving_copy), pushed.version)
    assert versions.versions_on_disk(str(serving_copy))[-1] == new
    assert versions.rolled_back_from(str(serving_copy), new) == pushed.version
    same = filecmp.dircmp(serving_copy / pushed.version, serving_copy / new)
    assert not same.diff_files and not same.left_only
    assert [n for n in serving_copy.iterdir() if n.name.startswith(".")] == []


def test_rollback_refuses_unknown_and_already_served_versions(pipeline_run, pushed, serving_copy):
    with pytest.raises(RollbackError, match="was never pushed by this pipeline"):
        rollback(pipeline_run.metadata_path, str(serving_copy), "123")
    newer = str(int(pushed.version) + 1)
    shutil.rmtree(serving_copy / newer)
    with pytest.raises(RollbackError, match="already the one being served"):
        rollback(pipeline_run.metadata_path, str(serving_copy), pushed.version)


def test_the_commands_print_the_versions_and_roll_back(pipeline_run, pushed, serving_copy):
    roots = ["--pipeline-root", pipeline_run.pipeline_root, "--serving-dir",
             str(serving_copy.parent), "--model-name", pipeline_run.model_name]  # fmt: skip

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "pipeline", *args, *roots],
            capture_output=True, text=True, timeout=300, cwd=PROJECT,
        )  # fmt: skip

    back = cli("rollback", pushed.version)
    assert back.returncode == 0, back.stderr
    assert f"Version {pushed.version} is served again as version" in back.stdout
    listing = cli("versions")
    assert listing.returncode == 0, listing.stderr
    assert f"{pushed.version}  on disk  AUC {pushed.metrics['auc']:.4f}" in listing.stdout
    assert f"serving, a rollback to {pushed.version}" in listing.stdout
    assert "not recorded in ML Metadata" in listing.stdout  # the foreign newer version
    refused = cli("rollback", "42")
    assert refused.returncode == 1 and "Rollback refused" in refused.stdout
