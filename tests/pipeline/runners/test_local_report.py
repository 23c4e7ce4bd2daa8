"""The end-of-run report: its path is printed, and its failure never fails the run."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from pipeline.config import PipelineConfig
from pipeline.runners.local import write_run_report


def _config(root: Path) -> PipelineConfig:
    return PipelineConfig(
        pipeline_name="taxi",
        pipeline_root=str(root),
        data_root=str(root / "data"),
        schema_path=str(root / "schema.pbtxt"),
        serving_dir=str(root / "serving"),
        metadata_path=str(root / "metadata.sqlite"),
    )


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=200, highlight=False), out


def test_a_failing_report_is_one_warning_line(tmp_path, monkeypatch, caplog):
    import reports.html

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(reports.html, "write_report", broken)
    console, out = _console()
    log = tmp_path / "logs" / "run.log"
    path = write_run_report(_config(tmp_path), console=console, log_path=log, verbose=False)
    assert path is None
    assert out.getvalue().strip() == "! Report not written: RuntimeError: disk full"
    # The traceback goes to the run's log (Python logging), not to the terminal.
    assert "disk full" in caplog.text and "Traceback" in caplog.text


def test_the_report_path_is_printed(tmp_path, monkeypatch):
    import reports.html

    written = tmp_path / "reports" / "run" / "index.html"
    seen = {}

    def fake(pipeline_root, *, run_id, pipeline_name):
        seen.update(root=pipeline_root, run_id=run_id, name=pipeline_name)
        return written

    monkeypatch.setattr(reports.html, "write_report", fake)
    console, out = _console()
    config = _config(tmp_path)
    path = write_run_report(config, console=console, log_path=tmp_path / "x.log", verbose=True)
    assert path == written
    assert out.getvalue().strip() == f"Report:     {written}"
    assert seen == {"root": config.pipeline_root, "run_id": None, "name": config.pipeline_name}
