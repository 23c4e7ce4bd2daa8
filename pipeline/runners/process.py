"""What a runner process does around a run: its log, its lock, and its garbage collector.

None of this changes what the pipeline computes; it keeps a person's terminal
readable, two runs off one pipeline root, and a long-lived process fast.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import gc
import os
import sys
from pathlib import Path
from typing import NoReturn


@contextlib.contextmanager
def stderr_to(log_path: Path):
    """Send everything written to file descriptor 2 (C++ and Python) to a log.

    TensorFlow and Beam write from C++ straight to fd 2, which no Python
    logging setting reaches; duplicating the descriptor is the one way to
    keep a person's terminal readable.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    saved = os.dup(2)
    with open(log_path, "ab", buffering=0) as log:
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


LOCK_FILE = ".run.lock"


class RootBusy(RuntimeError):
    """Another run holds the pipeline root."""


@contextlib.contextmanager
def exclusive_root(pipeline_root: Path):
    """Hold `<pipeline_root>/.run.lock` for the whole run, or raise RootBusy at once.

    Two runs on one root would race on ML Metadata's run contexts, the cache
    and the artifact folders. An advisory lock is released by the kernel when
    its process dies, so a killed run (even SIGKILL) never leaves it stale.
    """
    pipeline_root.mkdir(parents=True, exist_ok=True)
    path = pipeline_root / LOCK_FILE
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise RootBusy(
                f"{pipeline_root} is in use by {holder}. Wait for that run to finish, "
                "or give this one another --pipeline-root."
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"run_local.py (pid {os.getpid()}, started {datetime.datetime.now():%H:%M:%S})")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()


@contextlib.contextmanager
def long_lived_imports():
    """Import what stays loaded until the process ends, then keep the garbage collector off it.

    With TFX, TensorFlow, Beam, TFDV, TFT and TFMA loaded, most of the objects
    the collector tracks come with the imports and live as long as the
    process, and every full collection walks them again (counts and timings
    in docs/benchmarks.md). Imports make almost no garbage, so collection is
    paused while they run and everything alive afterwards is frozen
    (`gc.freeze`); reference counting still frees it as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def exit_without_final_collection(code: int) -> NoReturn:
    """`sys.exit(code)`, sparing the process Python's last garbage collection.

    At exit the interpreter collects once more over everything still alive,
    seconds of work once a pipeline run has loaded TensorFlow
    (docs/benchmarks.md). The operating system frees that memory anyway; exit
    handlers (log flushing, temporary folders) still run.
    """
    gc.freeze()
    sys.exit(code)
