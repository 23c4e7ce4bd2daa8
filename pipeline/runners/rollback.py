"""Rolling serving back to an earlier pushed version.

A rollback copies an earlier blessed version into a new, highest version
number (atomically, as the Pusher does). Every server that follows the
`latest` version policy, TensorFlow Serving included, then serves it within
its poll interval, and the history of versions stays intact.
"""

from __future__ import annotations

import json
import os
import time

from models import layout
from pipeline.components.pusher.atomic import push_atomically
from pipeline.metadata.versions import pushed_versions, versions_on_disk


class RollbackError(ValueError):
    """The requested rollback is not possible; the message says why."""


def rollback(metadata_path: str, base_directory: str, version: str) -> str:
    """Serve `version` again by copying it to a new highest version; returns the new one."""
    known = {v.version for v in pushed_versions(metadata_path, base_directory)}
    if version not in known:
        listed = ", ".join(sorted(known, key=int)) or "none"
        raise RollbackError(
            f"Version {version} was never pushed by this pipeline (pushed versions: {listed})."
        )
    source = os.path.join(base_directory, version)
    if not os.path.isdir(source):
        raise RollbackError(f"Version {version} is no longer on disk at {source}.")
    on_disk = versions_on_disk(base_directory)
    if on_disk and on_disk[-1] == version:
        raise RollbackError(f"Version {version} is already the one being served.")

    def mark(staging: str) -> None:
        marker = os.path.join(staging, layout.ROLLBACK_MARKER)
        os.makedirs(os.path.dirname(marker), exist_ok=True)
        with open(marker, "w") as f:
            json.dump({"rolled_back_from": version, "at": time.time()}, f)

    new_version = layout.next_version(base_directory, time.time())
    push_atomically(source, base_directory, new_version, mark)
    return new_version
