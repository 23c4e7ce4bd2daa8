"""`python run_local.py --report-only`: rewrite the newest run's report, run nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]


def report_only(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(PROJECT / "run_local.py"), "--report-only", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT,
    )


def test_without_a_run_it_says_so_and_fails(tmp_path):
    result = report_only("--pipeline-root", str(tmp_path / "nothing"))
    assert result.returncode == 1, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "No report: No pipeline run under" in out
    assert not (tmp_path / "nothing").exists()


@pytest.mark.e2e
def test_it_writes_the_newest_runs_report_and_prints_its_path(pipeline_run, report_run):
    root = Path(pipeline_run.pipeline_root)
    executions_before = (root / "metadata.sqlite").stat().st_mtime
    result = report_only(
        "--pipeline-root", str(root), "--pipeline-name", pipeline_run.pipeline_name
    )
    assert result.returncode == 0, result.stdout + result.stderr
    path = root / "reports" / report_run.run_id / "index.html"
    assert f"Report: {path}" in " ".join(result.stdout.split())
    assert report_run.run_id in path.read_text()
    # Nothing ran: the metadata store was only read.
    assert (root / "metadata.sqlite").stat().st_mtime == executions_before
