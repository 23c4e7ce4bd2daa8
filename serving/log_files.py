"""Rotating TFRecord files of request logs, one file set per model and version.

    <filename_prefix>/<model>/<version>/requests-<UTC time>-<n>.tfrecord

A file is written under an `.inprogress` suffix and renamed when it is closed
(full by size or record count, old enough, or at shutdown), so every
`*.tfrecord` in the layout is complete: a reader never sees a half-written
record. The files are written by the log's writer process (`serving.log_writer`),
which finishes them even when the server is killed; a writer that is itself
killed leaves its open file as `.inprogress`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Callable
from urllib.parse import quote

import tensorflow as tf

FILE_SUFFIX = ".tfrecord"
IN_PROGRESS_SUFFIX = ".inprogress"
# TFRecord framing around each record: its length, the length's CRC, the data's CRC.
_RECORD_OVERHEAD = 16


@dataclasses.dataclass(frozen=True)
class RotationLimits:
    """When a file is closed and the next one started."""

    max_bytes: int
    max_records: int = 0  # 0: no limit
    max_seconds: float = 600.0


@functools.lru_cache(maxsize=64)  # the writer asks once per record
def version_folder(prefix: str, model_name: str, version: int) -> str:
    """Where one model version's files go; the name is quoted so it stays one folder."""
    return os.path.join(prefix, quote(model_name, safe=""), str(version))


class _OpenFile:
    """One file being written; renamed to its final name on close."""

    def __init__(self, folder: str, opened_at: float) -> None:
        os.makedirs(folder, exist_ok=True)
        self.path = _new_file_path(folder)
        self._writer = tf.io.TFRecordWriter(self.path + IN_PROGRESS_SUFFIX)
        self.opened_at = opened_at
        self.bytes = 0
        self.records = 0

    def write(self, record: bytes) -> None:
        self._writer.write(record)
        self.bytes += len(record) + _RECORD_OVERHEAD
        self.records += 1

    def close(self) -> None:
        self._writer.close()
        os.replace(self.path + IN_PROGRESS_SUFFIX, self.path)


def _new_file_path(folder: str) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    n = 0
    while True:
        path = os.path.join(folder, f"requests-{stamp}-{n:05d}{FILE_SUFFIX}")
        if not any(os.path.exists(p) for p in (path, path + IN_PROGRESS_SUFFIX)):
            return path
        n += 1


class RecordFiles:
    """The open file of each model version's set. Used by one thread only."""

    def __init__(self, limits: RotationLimits, clock: Callable[[], float] = time.monotonic):
        self._limits = limits
        self._clock = clock
        self._open: dict[str, _OpenFile] = {}

    def write(self, prefix: str, model_name: str, version: int, record: bytes) -> None:
        """Appends a serialized record to the version's current file, rotating as needed."""
        folder = version_folder(prefix, model_name, version)
        current = self._open.get(folder)
        if current is not None and current.records and self._would_overflow(current, record):
            self._close(folder)
            current = None
        if current is None:
            current = self._open[folder] = _OpenFile(folder, self._clock())
        current.write(record)
        if self._limits.max_records and current.records >= self._limits.max_records:
            self._close(folder)

    def close_expired(self) -> None:
        """Closes files open longer than the age limit, so quiet versions' logs get read."""
        now = self._clock()
        for folder, current in list(self._open.items()):
            if now - current.opened_at >= self._limits.max_seconds:
                self._close(folder)

    def close_all(self) -> None:
        """Closes every file (shutdown): each becomes a complete `.tfrecord`."""
        for folder in list(self._open):
            self._close(folder)

    def _would_overflow(self, current: _OpenFile, record: bytes) -> bool:
        return current.bytes + len(record) + _RECORD_OVERHEAD > self._limits.max_bytes

    def _close(self, folder: str) -> None:
        self._open.pop(folder).close()
