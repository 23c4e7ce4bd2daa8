"""Writing a version so that it appears whole: copy beside, then rename into place.

TF Serving polls the base directory and loads any all-digit folder it finds,
so a version copied in place can be seen half-written. Here the files go to a
hidden staging folder beside it (a name TF Serving never loads), extra files
are added there, and one rename publishes the version. The Pusher and a
rollback both write versions this way.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable

_STAGING = re.compile(r"^\.staging-\d+-(\d+)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(base_directory: str) -> list[str]:
    """Delete staging folders whose pushing process died (SIGKILL, power loss).

    TF Serving never loads them (their names are not numbers), but each
    holds a full model copy; a live process's folder is left alone.
    """
    removed = []
    try:
        names = os.listdir(base_directory)
    except FileNotFoundError:
        return removed
    for name in names:
        match = _STAGING.match(name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(os.path.join(base_directory, name), ignore_errors=True)
            removed.append(name)
    return removed


def push_atomically(
    model_path: str,
    base_directory: str,
    version: str,
    prepare: Callable[[str], None] | None = None,
) -> str:
    """Copy `model_path` to `<base_directory>/<version>` so it appears whole.

    `prepare(staging_dir)` may add files (warmup requests) before the rename.
    """
    os.makedirs(base_directory, exist_ok=True)
    remove_stale_staging(base_directory)
    final = os.path.join(base_directory, version)
    staging = os.path.join(base_directory, f".staging-{version}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        try:
            shutil.copytree(model_path, staging)
        except shutil.Error as e:
            # copytree gathers one (source, destination, reason) per failed file.
            reasons = e.args[0] if e.args and isinstance(e.args[0], list) else []
            reason = reasons[0][2] if reasons else str(e)
            raise OSError(f"cannot write {base_directory}: {reason}") from None
        if prepare is not None:
            prepare(staging)
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
