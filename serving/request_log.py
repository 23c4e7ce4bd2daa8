"""The request logger: samples served requests and writes them off the request path.

A request thread only draws its sample and puts what the record is built from
on a bounded queue; when the queue is full the record is dropped and counted,
so logging never blocks a request. A writer thread hands what is queued, in
batches, to the writer process (`serving.log_writer`), which builds each
`PredictionLog` (`serving.prediction_log`) and appends it to its model
version's file set (`serving.log_files`) on its own interpreter, so building
records does not take the server's CPU time and GIL. `close()` writes what is
queued and has every file closed, so the last file is complete and readable.

The writer thread wakes every `_DRAIN_SECONDS` and sends everything queued,
rather than waking for each record: one wake-up per record cost the server a
thread switch and a turn of the GIL per request (docs/benchmarks.md, "Request
logging"). The process is started once a model logs, and started again if it dies.
"""

from __future__ import annotations

import collections
import logging
import multiprocessing
import pickle
import random
import threading
import time
from collections.abc import Callable, Iterable

from serving import log_writer, prediction_log
from serving.config import ModelConfig, RequestLogging
from serving.log_files import RotationLimits
from serving.log_writer import FAILED, WRITTEN, Entry
from serving.options import RequestLogOptions

log = logging.getLogger(__name__)

# A sampled request the queue had no room for, as counted in the metrics.
DROPPED = "dropped"
__all__ = ["DROPPED", "FAILED", "WRITTEN", "RequestLogger"]
# The writer wakes this often, sends what was queued; the process closes files past their age.
_DRAIN_SECONDS = 0.05
_CLOSE_TIMEOUT_SECONDS = 30.0
# Spawned, not forked: the server has TensorFlow's and gRPC's threads, which a fork breaks.
_PROCESSES = multiprocessing.get_context("spawn")


class _WriterProcess:
    """The writer process and the server's end of its connection."""

    def __init__(self, options: RequestLogOptions, tick_seconds: float) -> None:
        self.connection, child_end = _PROCESSES.Pipe()
        limits = RotationLimits(
            options.max_file_bytes, options.max_file_records, options.max_file_seconds
        )
        self.process = _PROCESSES.Process(
            target=log_writer.serve,
            args=(child_end, tuple(options.drop_columns), limits, tick_seconds),
            name="request-log-writer",
            daemon=True,
        )
        self.process.start()
        child_end.close()

    def exchange(self, payload: bytes) -> log_writer.Outcomes:
        """Sends a pickled batch; returns the writer's outcomes once it is written."""
        self.connection.send_bytes(payload)
        return self.connection.recv()

    def close(self, timeout: float) -> bool:
        """Asks the writer to close its files and waits for it; False if it did not."""
        closed = False
        try:
            self.connection.send(None)
            closed = self.connection.poll(timeout) and self.connection.recv() == []
        except (EOFError, OSError):
            pass
        self.process.join(timeout if closed else 0.1)
        if self.process.is_alive():
            self.process.kill()
            closed = False
        self.connection.close()
        return closed


class RequestLogger:
    """Samples requests per model's `logging_config`; one writer process writes them."""

    def __init__(
        self,
        options: RequestLogOptions,
        on_outcome: Callable[[str, str, int], None] | None = None,
    ) -> None:
        self._options = options
        # A deque, not a queue.Queue: its append and popleft are atomic, so the request
        # path takes no lock and signals no condition. `_queue_size` bounds it.
        self._queue: collections.deque[Entry] = collections.deque()
        self._queue_size = options.queue_size
        # One generator for the server: with a seed, the n-th draw is the same in every
        # run, whichever thread makes it (one draw is one call, atomic under the GIL).
        self._random = random.Random(options.sampling_seed)
        self._tick = max(0.01, min(_DRAIN_SECONDS, options.max_file_seconds))
        self._on_outcome = on_outcome or (lambda model_name, outcome, count: None)
        self._settings: dict[str, RequestLogging] = {}
        self._counts = {WRITTEN: 0, DROPPED: 0, FAILED: 0}
        self._counts_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._writer: _WriterProcess | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Sampled requests written, dropped (queue full) and failed, so far."""
        with self._counts_lock:
            return dict(self._counts)

    def configure(self, configs: Iterable[ModelConfig]) -> None:
        """Logs the models whose config has logging on (initial config and reloads)."""
        self._settings = {c.name: c.logging for c in configs if c.logging is not None}

    def start(self) -> None:
        """Starts the writer thread (which starts the process once a model logs)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def maybe_log(
        self,
        model_name: str,
        build: Callable[[], prediction_log.PredictionLog | prediction_log.GrpcCall],
    ) -> bool:
        """Queues a successful request if its model logs and it is sampled; never blocks.

        `build` makes the record's request and response in the writer process:
        it is pickled, so it is a module-level function, a partial of one, or a
        picklable object such as `prediction_log.RestPredict`.
        """
        settings = self._settings.get(model_name)
        if settings is None or self._thread is None or not self._sampled(settings.sampling_rate):
            return False
        # Two requests can both see room for one record: the bound is kept to within
        # the number of request threads, which is all a bound on memory needs.
        if len(self._queue) >= self._queue_size:
            self._count(model_name, DROPPED, 1)
            return False
        self._queue.append(
            Entry(
                model_name,
                settings.filename_prefix,
                settings.sampling_rate,
                int(time.time()),
                build,
            )
        )
        return True

    def close(self, timeout: float = _CLOSE_TIMEOUT_SECONDS) -> None:
        """Writes every queued record, then has the files closed (server shutdown).

        Bounded, so shutdown cannot hang on a writer stuck in a dead file system.
        """
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("The request log writer is stuck; %d records are lost", len(self._queue))
        self._thread = None

    def _sampled(self, rate: float) -> bool:
        return rate >= 1.0 or self._random.random() < rate

    def _count(self, model_name: str, outcome: str, count: int) -> None:
        with self._counts_lock:
            self._counts[outcome] += count
        self._on_outcome(model_name, outcome, count)

    def _run(self) -> None:
        try:
            # Event.wait returns True once close() is called: one last drain, then stop.
            while not self._stop.wait(self._tick):
                self._drain()
            self._drain()
        finally:
            if self._writer is not None and not self._writer.close(_CLOSE_TIMEOUT_SECONDS):
                log.error("The request log writer process did not close its files")
            self._writer = None

    def _drain(self) -> None:
        """Sends what is queued now, in order, and counts what became of it."""
        batch = []
        while self._queue:
            batch.append(self._queue.popleft())
        if self._writer is None and (self._settings or batch):
            self._writer = self._started_writer()
        if not batch:
            return
        payload, sent, unpicklable = _pickled(batch)
        outcomes = _failed(unpicklable) + self._send(payload, sent)
        for model_name, outcome, count in outcomes:
            self._count(model_name, outcome, count)

    def _send(self, payload: bytes, sent: list[Entry]) -> log_writer.Outcomes:
        """The writer's outcomes for a batch; all failed if there is no writer to take it."""
        if self._writer is not None:
            try:
                return self._writer.exchange(payload)
            except (EOFError, OSError):
                log.exception("The request log writer process is gone; %d records lost", len(sent))
                self._writer.close(0)
                self._writer = None  # started again at the next drain
        return _failed(sent)

    def _started_writer(self) -> _WriterProcess | None:
        try:
            return _WriterProcess(self._options, self._tick)
        except Exception:  # the writer thread must outlive it; records count as failed
            log.exception("Could not start the request log writer process")
            return None


def _failed(entries: list[Entry]) -> log_writer.Outcomes:
    return [(entry.model_name, FAILED, 1) for entry in entries]


def _pickled(batch: list[Entry]) -> tuple[bytes, list[Entry], list[Entry]]:
    """The batch's bytes, the entries in them, and those left out (not picklable).

    One `dumps` for the batch, so objects its entries share (a signature's input
    dtypes) are written once.
    """
    try:
        return pickle.dumps(batch, pickle.HIGHEST_PROTOCOL), batch, []
    except Exception:  # a build that cannot cross: find it, send the rest
        sent, left_out = [], []
        for entry in batch:
            try:
                pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)
                sent.append(entry)
            except Exception:
                log.exception("A request log record of %s cannot be sent", entry.model_name)
                left_out.append(entry)
        return pickle.dumps(sent, pickle.HIGHEST_PROTOCOL), sent, left_out
