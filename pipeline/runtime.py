"""Runner-side helpers: the file work `create_pipeline` must not do itself."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import gc
import hashlib
import importlib.resources
import os
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

DEFAULT_PIPELINE_NAME = "taxi"
CODE_PACKAGES = ("models",)


def default_data_root() -> Path:
    """Folder of the Chicago taxi sample that ships inside the tfx package."""
    sample = importlib.resources.files("tfx") / "examples/chicago_taxi_pipeline/data/simple"
    return Path(str(sample))


def packaged_schema() -> Path:
    """The curated schema committed under `schemas/`."""
    return Path(str(importlib.resources.files("schemas") / "schema.pbtxt"))


def _digest(paths: list[tuple[str, bytes]]) -> str:
    h = hashlib.sha256()
    for name, content in sorted(paths):
        h.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return h.hexdigest()[:16]


def code_fingerprint(packages: tuple[str, ...] = CODE_PACKAGES) -> str:
    """A hash of the Python sources Transform and Trainer import by name."""
    sources = []
    for package in packages:
        root = importlib.resources.files(package)
        for path in Path(str(root)).rglob("*.py"):
            sources.append((f"{package}/{path.relative_to(str(root))}", path.read_bytes()))
    return _digest(sources)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks (data files can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_file_hashes(data_root: Path, files) -> tuple[tuple[str, str], ...]:
    """(path relative to `data_root`, sha256) of each data file, sorted by path."""
    root = Path(data_root).resolve()
    return tuple(
        sorted((str(Path(f).resolve().relative_to(root)), file_sha256(Path(f))) for f in files)
    )


def git_state(directory: Path) -> tuple[str, bool]:
    """(HEAD commit, uncommitted changes?) of the checkout holding `directory`.

    ("", False) when it is not a git checkout or git is not installed: a
    tarball or an installed package runs all the same, with no commit recorded.
    """

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(directory), *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--verify", "HEAD")
        dirty = bool(git("status", "--porcelain"))
    except (OSError, subprocess.SubprocessError):
        return "", False
    return commit, dirty


def stage_schema(schema: Path, pipeline_root: Path) -> Path:
    """Copy the schema to a content-addressed path under the pipeline root.

    ImportSchemaGen's cache key is the file *path*, so an edited schema at the
    same path would be ignored by a cached run; a path that changes with the
    content makes an edit rerun validation and everything downstream.
    """
    content = schema.read_bytes()
    staged = pipeline_root / "schemas" / _digest([("schema", content)]) / schema.name
    if not staged.exists():
        staged.parent.mkdir(parents=True, exist_ok=True)
        tmp = staged.with_suffix(".tmp")
        tmp.write_bytes(content)
        os.replace(tmp, staged)
    return staged


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

    With TFX, TensorFlow, Beam, TFDV, TFT and TFMA loaded, a run ends with
    750,000 objects tracked by the collector, and 628,000 even after a rerun
    that executes no component, so most of them come with the imports. Every
    full collection walked them again: 5.7 s of a cold run, 2.2 s of an
    unchanged rerun (docs/benchmarks.md). Imports make almost no garbage, so collection is
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
    about 3 s after a pipeline run has loaded TensorFlow. The operating system
    frees that memory anyway; exit handlers (log flushing, temporary folders)
    still run.
    """
    gc.freeze()
    sys.exit(code)
