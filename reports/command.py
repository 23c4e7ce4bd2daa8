"""`run_local.py --report-only`: rewrite the newest run's report without running anything."""

from __future__ import annotations

import contextlib
import datetime
from pathlib import Path

from rich.console import Console

EXIT_OK = 0
EXIT_NO_RUN = 1


def report_only(
    pipeline_root: Path, *, pipeline_name: str | None, console: Console, verbose: bool
) -> int:
    """Write the newest run's report under `pipeline_root` and print its path; an exit code."""
    from pipeline.runtime import stderr_to

    log_path = pipeline_root / "logs" / f"report-{datetime.datetime.now():%Y%m%d-%H%M%S}.log"
    # TensorFlow's C++ start-up chatter goes to the log, as during a run; a
    # missing pipeline root must not be created just to hold that log.
    quiet = not verbose and pipeline_root.is_dir()
    # The console writes to stdout, so it still reaches the terminal.
    with stderr_to(log_path) if quiet else contextlib.nullcontext():
        # Imported here: TensorFlow's import-time warnings belong in the log too.
        from reports.artifacts import NoRunError
        from reports.html import write_report

        try:
            path = write_report(pipeline_root, pipeline_name=pipeline_name)
        except NoRunError as e:
            console.print(f"[bold red]No report:[/] {e}")
            console.print("Run the pipeline first: python run_local.py")
            return EXIT_NO_RUN
        console.print(f"Report: {path}")
        return EXIT_OK
