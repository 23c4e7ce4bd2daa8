"""Rolling serving back to an earlier pushed version.

A rollback copies an earlier blessed version into a new, highest version
number (atomically, as the Pusher does). Every server that follows the
`latest` version policy, TensorFlow Serving included, then serves it within
its poll interval, and the history of versions stays intact.

Servers that read a labelled model config (`stable`/`canary`, a `specific`
version policy) do not follow the newest version: for them a rollback moves
the `stable` label back to the earlier version, which the file's policy must
still serve (`python -m pipeline promote` leaves the old stable one loaded).
"""

from __future__ import annotations

import json
import os
import time

from models import layout
from pipeline.components.pusher.atomic import push_atomically
from pipeline.metadata.versions import pushed_versions, versions_on_disk
from serving import labels as L
from serving.config import write_model_config_file


class RollbackError(ValueError):
    """The requested rollback is not possible; the message says why."""


def _check_pushed(metadata_path: str, base_directory: str, version: str) -> str:
    """The version's folder; RollbackError unless this pipeline pushed it and it is on disk."""
    known = {v.version for v in pushed_versions(metadata_path, base_directory)}
    if version not in known:
        listed = ", ".join(sorted(known, key=int)) or "none"
        raise RollbackError(
            f"Version {version} was never pushed by this pipeline (pushed versions: {listed})."
        )
    source = os.path.join(base_directory, version)
    if not os.path.isdir(source):
        raise RollbackError(f"Version {version} is no longer on disk at {source}.")
    return source


def relabel_stable(
    metadata_path: str, base_directory: str, config_path: str, model_name: str, version: str
) -> int | None:
    """Point `stable` at `version` in the model config file; returns the version it left."""
    _check_pushed(metadata_path, base_directory, version)
    try:
        config = L.read_config(config_path)
        model = L.model_entry(config, model_name)
        if model.version_labels.get(L.STABLE) == int(version):
            raise RollbackError(f"Version {version} is already the stable one in {config_path}.")
        on_disk = [int(v) for v in versions_on_disk(base_directory)]
        old = L.move_label(model, L.STABLE, int(version), on_disk)
    except L.LabelError as e:
        raise RollbackError(f"{e}.") from None
    write_model_config_file(config, config_path)
    return old


def rollback(metadata_path: str, base_directory: str, version: str) -> str:
    """Serve `version` again by copying it to a new highest version; returns the new one."""
    source = _check_pushed(metadata_path, base_directory, version)
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
