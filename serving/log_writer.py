"""The request log's writer process: builds `PredictionLog` records and writes their files.

Building a record (decoding a REST body, encoding its tensors, assembling the
record) costs the server's CPU and its GIL. On a busy REST server that cost is
paid in throughput, on whichever of the server's threads does it
(docs/benchmarks.md, "Request logging"). So the server only queues what a
record is built from, and this process, started by `serving.request_log`,
builds and writes it beside the server, on its own interpreter and GIL.

One exchange per batch over a `multiprocessing` connection:

    server -> writer   a list of `Entry` (pickled), or None to close
    writer -> server   [(model name, outcome, count), ...] for that batch

The writer also closes files past their age between batches. At close, or when
the server is gone (its end of the connection closes), every open file is closed,
so each becomes a complete `.tfrecord`.
"""

from __future__ import annotations

import collections
import logging
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import NamedTuple

from serving import prediction_log
from serving.log_files import RecordFiles, RotationLimits

log = logging.getLogger(__name__)

# What became of a record the writer was given, as counted in the metrics.
WRITTEN, FAILED = "written", "failed"

Outcomes = list[tuple[str, str, int]]
# Added to the writer's niceness: on a busy machine the server's threads get the CPU
# first, and a writer that falls behind only fills the server's queue, whose overflow
# is dropped and counted. Measured, it took less from a one-client server
# (docs/benchmarks.md, "Request logging").
NICENESS = 10


class Entry(NamedTuple):
    """A sampled request: where its record goes, and how to build it (picklable)."""

    model_name: str
    filename_prefix: str
    sampling_rate: float
    timestamp_secs: int
    build: Callable[[], prediction_log.PredictionLog | prediction_log.GrpcCall]


def serve(
    connection: Connection,
    drop_columns: tuple[str, ...],
    limits: RotationLimits,
    tick_seconds: float,
) -> None:
    """The writer process's main loop (its `multiprocessing.Process` target)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.nice(NICENESS)
    files = RecordFiles(limits)
    closing = False
    try:
        while not closing:
            if connection.poll(tick_seconds):
                batch = connection.recv()
                closing = batch is None
                if not closing:
                    connection.send(write_batch(batch, drop_columns, files))
            _close_expired(files)
    except (EOFError, OSError):  # the server is gone: finish the files it leaves
        log.warning("The server closed the request log connection; closing the files")
    finally:
        files.close_all()
    if closing:
        connection.send([])  # every file is complete: the server may go on shutting down


def write_batch(batch: list[Entry], drop_columns: tuple[str, ...], files: RecordFiles) -> Outcomes:
    """Builds and writes each record in order; counts outcomes per model."""
    outcomes: collections.Counter[tuple[str, str]] = collections.Counter()
    for entry in batch:
        outcomes[entry.model_name, _write(entry, drop_columns, files)] += 1
    return [(model, outcome, count) for (model, outcome), count in outcomes.items()]


def _write(entry: Entry, drop_columns: tuple[str, ...], files: RecordFiles) -> str:
    try:
        data, version = prediction_log.serialize(
            entry.build(), drop_columns, entry.sampling_rate, entry.timestamp_secs
        )
        files.write(entry.filename_prefix, entry.model_name, version, data)
    except Exception:  # one bad record must not stop the log
        log.exception("Could not write a request log record of %s", entry.model_name)
        return FAILED
    return WRITTEN


def _close_expired(files: RecordFiles) -> None:
    try:
        files.close_expired()
    except OSError:  # the writer must outlive a failed rename
        log.exception("Could not close an expired request log file")
