"""Run a pipeline on this machine (TFX's LocalDagRunner or BeamDagRunner) and tell a
person what happened."""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from pipeline import steps
from pipeline.config import PipelineConfig
from pipeline.runners.process import long_lived_imports, stderr_to
from pipeline.runners.progress import ComponentEvent, ComponentProgress
from pipeline.runners.signals import Interrupted, stop_signals_raise

ORCHESTRATORS = ("local", "beam")

# Exit codes of a local run (run_local.py).
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2  # nothing ran: the data, a flag or the configuration is wrong
EXIT_BLOCKED = 3  # the data gate refused the data
EXIT_BUSY = 4  # another run holds the pipeline root
# Stopped by a signal: 128 + its number (130 Ctrl-C, 143 SIGTERM), runners/signals.py.
_USAGE_ERROR = re.compile(r"^\S+: error: ")
_ERROR_PREFIX = re.compile(r"^[\w.]*(Error|Exception|Exit|Interrupt)\b:")


def first_meaningful_error(exc: BaseException) -> str:
    """The innermost cause of `exc`, in one line, without Beam's wrapping."""
    seen = set()
    root = exc
    while id(root) not in seen:
        seen.add(id(root))
        nxt = root.__cause__ or root.__context__
        if nxt is None:
            break
        root = nxt
    lines = [line.strip() for line in str(root).splitlines() if line.strip()]
    # Beam repeats the user error inside its own: "... [while running 'X']".
    message = next((line for line in reversed(lines) if _ERROR_PREFIX.match(line)), None)
    message = (message or (lines[0] if lines else "")).split(" [while running")[0]
    if len(message) > 400:
        message = message[:400] + "..."
    return message if _ERROR_PREFIX.match(message) else f"{type(root).__name__}: {message}"


def _describe(exc: BaseException, log_path: Path) -> str:
    if isinstance(exc, SystemExit):
        # argparse (Beam's options) already wrote its usage error to the log.
        lines = [line for line in _tail(log_path) if _USAGE_ERROR.match(line)]
        return lines[-1].strip() if lines else f"exited with status {exc.code}"
    return first_meaningful_error(exc)


def _tail(path: Path, size: int = 20_000) -> list[str]:
    with open(path, "rb") as f:
        f.seek(max(0, path.stat().st_size - size))
        return f.read().decode("utf-8", "replace").splitlines()


def _configure_logging(log_path: Path, verbose: bool) -> None:
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.INFO)
    logging.getLogger().setLevel(logging.INFO)
    if not verbose:
        # Python-level records too: some handlers hold a reference to the
        # original sys.stderr object, not to descriptor 2.
        handler = logging.FileHandler(log_path)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().handlers[:] = [handler]


def _runner_class(orchestrator: str):
    if orchestrator == "local":
        from tfx.orchestration.local.local_dag_runner import LocalDagRunner

        return LocalDagRunner
    if orchestrator == "beam":
        # The DAG itself becomes a Beam pipeline (one ParDo per component) on
        # Beam's local runner.
        from tfx.orchestration.beam.beam_dag_runner import BeamDagRunner

        return BeamDagRunner
    raise ValueError(f"orchestrator must be one of {ORCHESTRATORS}, got {orchestrator!r}")


def import_pipeline_code(orchestrator: str = "local") -> None:
    """Import what `run_pipeline` needs (TFX, TensorFlow, Beam) without running anything."""
    from pipeline.pipeline import create_pipeline  # noqa: F401

    _runner_class(orchestrator)


def run_pipeline(config: PipelineConfig, orchestrator: str = "local") -> None:
    """Run `config`'s pipeline with TFX's LocalDagRunner (or BeamDagRunner for "beam")."""
    from pipeline.pipeline import create_pipeline
    from pipeline.runners.beam_in_process import executors_in_this_process

    runner = _runner_class(orchestrator)()
    with executors_in_this_process():
        runner.run(create_pipeline(config))


def _report_blocked_gate(config: PipelineConfig, where: str, console: Console) -> bool:
    """Explain a run the data gate stopped; False when the failure was something else."""
    from pipeline.metadata.summary import summarize_latest_run

    if where != steps.DATA_GATE:
        return False
    return report_blocked_gate(summarize_latest_run(config), console)


def report_blocked_gate(summary, console: Console) -> bool:
    """Print why the data gate of `summary`'s run blocked it and what a person can do
    (the verdict the report's banner shows); False when its gate did not block."""
    from pipeline.metadata.verdict import BLOCKED, verdict
    from pipeline.runners.terminal import print_verdict

    shown = verdict(summary)
    if shown.kind != BLOCKED:
        return False
    print_verdict(shown, console=console)
    return True


def run_and_report(
    config: PipelineConfig,
    *,
    console: Console,
    log_path: Path,
    verbose: bool,
    orchestrator: str = "local",
) -> int:
    """Run `config`'s pipeline, print a line per component and a summary."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    redirect = contextlib.nullcontext() if verbose else stderr_to(log_path)
    started = time.monotonic()
    with redirect, stop_signals_raise() as signals:
        _configure_logging(log_path, verbose)
        status = console.status("starting")

        def on_start(name: str) -> None:
            signals.check()
            status.update(f"{name} running")

        def on_finish(event: ComponentEvent) -> None:
            style = "green" if event.status == "executed" else "cyan"
            console.print(
                f"  [{style}]✓[/] {event.name:<28} {event.status:<9} {event.seconds:7.1f} s"
            )

        progress = ComponentProgress(on_start, on_finish)
        logging.getLogger("absl").addHandler(progress)
        try:
            with status:
                with long_lived_imports():
                    import_pipeline_code(orchestrator)
                run_pipeline(config, orchestrator)
        # SystemExit too: Beam's option parser exits on a bad --beam-arg. An
        # Exception may be a signal too: Beam rewraps one raised in a DoFn.
        except (KeyboardInterrupt, Exception, SystemExit) as e:
            stop = signals.interruption(e)
            if stop is not None:
                return _report_interrupted(
                    config, stop, progress.current, console, log_path, verbose
                )
            reason = _describe(e, log_path)
            logging.getLogger(__name__).error("Pipeline failed:\n%s", traceback.format_exc())
            where = progress.current or "pipeline set-up"
            if _report_blocked_gate(config, where, console):
                write_run_report(config, console=console, log_path=log_path, verbose=verbose)
                return EXIT_BLOCKED
            console.print(f"  [red]✗[/] {where} failed: {escape(reason)}")
            console.print(f"Full log: {log_path}")
            console.print("Nothing new was pushed; the served model is unchanged.")
            write_run_report(config, console=console, log_path=log_path, verbose=verbose)
            return EXIT_FAILED
        finally:
            logging.getLogger("absl").removeHandler(progress)

        from pipeline.metadata.summary import summarize_latest_run
        from pipeline.runners.terminal import print_summary

        summary = summarize_latest_run(config)
    print_summary(summary, console=console, seconds=time.monotonic() - started)
    write_run_report(config, console=console, log_path=log_path, verbose=verbose)
    return EXIT_OK


def _report_interrupted(
    config: PipelineConfig,
    stop: Interrupted,
    where: str | None,
    console: Console,
    log_path: Path,
    verbose: bool,
) -> int:
    """Say where a signal stopped the run, then write the report of what ran."""
    logging.getLogger(__name__).warning("Run stopped by %s during %s", stop.signal_name, where)
    console.print(f"  [red]✗[/] interrupted during {where or 'set-up'} ({stop.signal_name})")
    console.print("Completed components are cached; run again to resume.")
    if where != steps.PUSHER:
        console.print("Nothing new was pushed; the served model is unchanged.")
    with contextlib.suppress(KeyboardInterrupt):  # a second signal skips the report
        write_run_report(config, console=console, log_path=log_path, verbose=verbose)
    return stop.exit_code


def write_run_report(
    config: PipelineConfig, *, console: Console, log_path: Path, verbose: bool
) -> Path | None:
    """Write the newest run's HTML report and print its path (`show_report`), with
    TensorFlow's import-time chatter in the run's log unless `verbose`."""
    return show_report(
        config.pipeline_root,
        pipeline_name=config.pipeline_name,
        console=console,
        around=None if verbose else stderr_to(log_path),
    )


def show_report(
    pipeline_root: str | Path,
    *,
    pipeline_name: str,
    console: Console,
    run_id: str | None = None,
    around: contextlib.AbstractContextManager | None = None,
) -> Path | None:
    """Write the HTML report of run `run_id` (default: the newest), inside `around`, and
    print its path.

    The report only describes the run: any error here is logged and shown in
    one line, and never changes the run's outcome.
    """
    try:
        with around or contextlib.nullcontext():
            from reports.html import write_report

            path = write_report(pipeline_root, run_id=run_id, pipeline_name=pipeline_name)
    except Exception as e:
        logging.getLogger(__name__).error("Report failed:\n%s", traceback.format_exc())
        console.print(f"  [yellow]![/] Report not written: {escape(first_meaningful_error(e))}")
        return None
    console.print(f"  Report:     {path}")
    return path


def report_only(
    pipeline_root: Path, *, pipeline_name: str | None, console: Console, verbose: bool
) -> int:
    """`run_local.py --report-only`: write the newest run's report under `pipeline_root`
    without running anything, and print its path; an exit code."""
    log_path = pipeline_root / "logs" / f"report-{datetime.datetime.now():%Y%m%d-%H%M%S}.log"
    # TensorFlow's C++ start-up chatter goes to the log, as during a run; a
    # missing pipeline root must not be created just to hold that log.
    quiet = not verbose and pipeline_root.is_dir()
    # The console writes to stdout, so it still reaches the terminal.
    with stderr_to(log_path) if quiet else contextlib.nullcontext():
        # Imported here: TensorFlow's import-time warnings belong in the log too.
        from pipeline.metadata.run import NoRunError
        from reports.html import write_report

        try:
            path = write_report(pipeline_root, pipeline_name=pipeline_name)
        except NoRunError as e:
            console.print(f"[bold red]No report:[/] {escape(str(e))}")
            console.print("Run the pipeline first: python run_local.py")
            return EXIT_FAILED
        console.print(f"Report: {path}")
        return EXIT_OK
