"""What a local run records about itself, and the schema it validates against, staged.

`git_state` and the data hashes go into the run's provenance (model card,
lineage); `stage_schema` gives ImportSchemaGen a path that changes with the
schema's content, so its cache cannot serve an edited schema's old results.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from pipeline.fingerprints import digest


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
    staged = pipeline_root / "schemas" / digest([("schema", content)]) / schema.name
    if not staged.exists():
        staged.parent.mkdir(parents=True, exist_ok=True)
        tmp = staged.with_suffix(".tmp")
        tmp.write_bytes(content)
        os.replace(tmp, staged)
    return staged
