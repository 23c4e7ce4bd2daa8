"""Content hashes: of the code Transform and Trainer import, and of data files.

TFX caches by inputs and parameters; it cannot see an edit to a module it
imports by name, nor a data file rewritten in place. These hashes go into the
config (so an edit reruns what depends on it) and into lineage (so a person
can tell whether the files on disk are still the ones a model was trained on).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

# Packages whose code runs inside Transform and Trainer.
CODE_PACKAGES = ("models",)


def digest(named_contents: Iterable[tuple[str, bytes]]) -> str:
    """A short hash of (name, content) pairs, independent of their order."""
    h = hashlib.sha256()
    for name, content in sorted(named_contents):
        h.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return h.hexdigest()[:16]


def code_fingerprint(
    packages: tuple[str, ...] = CODE_PACKAGES, modules: tuple[str, ...] = ()
) -> str:
    """A hash of the Python sources Transform and Trainer import by name.

    `modules`: further modules they import (a dataset's hooks outside `models/`).
    """
    import importlib.util

    sources = []
    for package in packages:
        root = importlib.resources.files(package)
        for path in Path(str(root)).rglob("*.py"):
            sources.append((f"{package}/{path.relative_to(str(root))}", path.read_bytes()))
    for module in modules:
        found = importlib.util.find_spec(module)
        if found is not None and found.origin and found.origin.endswith(".py"):
            sources.append((module, Path(found.origin).read_bytes()))
    return digest(sources)


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks (data files can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_file_hashes(data_root: Path, files) -> tuple[tuple[str, str], ...]:
    """(path relative to `data_root`, sha256) of each data file, sorted by path."""
    # Not resolved: a file may be a symlink to data kept elsewhere; its name
    # in the data root is what identifies it.
    root = Path(os.path.abspath(data_root))
    return tuple(
        sorted(
            (str(Path(os.path.abspath(f)).relative_to(root)), file_sha256(Path(f))) for f in files
        )
    )
