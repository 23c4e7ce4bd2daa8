"""The request logger: samples served requests and writes them off the request path.

A request thread only draws its sample and puts a pending record on a bounded
queue; when the queue is full the record is dropped and counted, so logging
never blocks a request. One writer thread builds each `PredictionLog` (proto
conversion, dropped columns, metadata: `serving.prediction_log`) and appends it
to its model version's file set (`serving.log_files`). `close()` writes what is
queued and closes every file, so the last file is complete and readable.

The writer wakes every `_DRAIN_SECONDS` and writes everything queued, rather
than waking for each record: one wake-up per record cost the server a thread
switch and a turn of the GIL per request (docs/benchmarks.md, "Request logging").
"""

from __future__ import annotations

import collections
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

from serving import prediction_log
from serving.config import ModelConfig, RequestLogging
from serving.log_files import RecordFiles, RotationLimits
from serving.options import RequestLogOptions

log = logging.getLogger(__name__)

# What became of a sampled request, as counted in the metrics.
WRITTEN, DROPPED, FAILED = "written", "dropped", "failed"
# The writer wakes this often, writes what was queued and closes files past their age.
_DRAIN_SECONDS = 0.05
_CLOSE_TIMEOUT_SECONDS = 30.0


class _Pending(NamedTuple):
    """A sampled request: its model's settings then, and how to build its record.

    A tuple, not a dataclass: it is made on the request path, once per request.
    """

    model_name: str
    logging: RequestLogging
    timestamp_secs: int
    build: Callable[[], prediction_log.PredictionLog | prediction_log.GrpcCall]


class RequestLogger:
    """Samples requests per model's `logging_config` and writes them on one thread."""

    def __init__(
        self,
        options: RequestLogOptions,
        on_outcome: Callable[[str, str, int], None] | None = None,
    ) -> None:
        self._drop_columns = tuple(options.drop_columns)
        # A deque, not a queue.Queue: its append and popleft are atomic, so the request
        # path takes no lock and signals no condition. `_queue_size` bounds it.
        self._queue: collections.deque[_Pending] = collections.deque()
        self._queue_size = options.queue_size
        # One generator for the server: with a seed, the n-th draw is the same in every
        # run, whichever thread makes it (one draw is one call, atomic under the GIL).
        self._random = random.Random(options.sampling_seed)
        self._files = RecordFiles(
            RotationLimits(
                options.max_file_bytes, options.max_file_records, options.max_file_seconds
            )
        )
        self._tick = max(0.01, min(_DRAIN_SECONDS, options.max_file_seconds))
        self._on_outcome = on_outcome or (lambda model_name, outcome, count: None)
        self._settings: dict[str, RequestLogging] = {}
        self._counts = {WRITTEN: 0, DROPPED: 0, FAILED: 0}
        self._counts_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def counts(self) -> dict[str, int]:
        """Sampled requests written, dropped (queue full) and failed, so far."""
        with self._counts_lock:
            return dict(self._counts)

    def configure(self, configs: Iterable[ModelConfig]) -> None:
        """Logs the models whose config has logging on (initial config and reloads)."""
        self._settings = {c.name: c.logging for c in configs if c.logging is not None}

    def start(self) -> None:
        """Starts the writer thread."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="request-log", daemon=True)
        self._thread.start()

    def maybe_log(
        self,
        model_name: str,
        build: Callable[[], prediction_log.PredictionLog | prediction_log.GrpcCall],
    ) -> bool:
        """Queues a successful request if its model logs and it is sampled; never blocks.

        `build` makes the record's request and response on the writer thread.
        """
        settings = self._settings.get(model_name)
        if settings is None or self._thread is None or not self._sampled(settings.sampling_rate):
            return False
        # Two requests can both see room for one record: the bound is kept to within
        # the number of request threads, which is all a bound on memory needs.
        if len(self._queue) >= self._queue_size:
            self._count(model_name, DROPPED, 1)
            return False
        self._queue.append(_Pending(model_name, settings, int(time.time()), build))
        return True

    def close(self, timeout: float = _CLOSE_TIMEOUT_SECONDS) -> None:
        """Writes every queued record, then closes the files (server shutdown).

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
                self._close_expired()
            self._drain()
        finally:
            self._files.close_all()

    def _drain(self) -> None:
        """Writes what is queued now, in order; counts outcomes once per model and drain."""
        outcomes: collections.Counter[tuple[str, str]] = collections.Counter()
        while self._queue:
            pending = self._queue.popleft()
            outcomes[pending.model_name, self._write(pending)] += 1
        for (model_name, outcome), count in outcomes.items():
            self._count(model_name, outcome, count)

    def _close_expired(self) -> None:
        try:
            self._files.close_expired()
        except OSError:  # the writer thread must outlive a failed rename
            log.exception("Could not close an expired request log file")

    def _write(self, pending: _Pending) -> str:
        try:
            data, version = prediction_log.serialize(
                pending.build(),
                self._drop_columns,
                pending.logging.sampling_rate,
                pending.timestamp_secs,
            )
            self._files.write(pending.logging.filename_prefix, pending.model_name, version, data)
        except Exception:  # one bad record must not stop the log
            log.exception("Could not write a request log record of %s", pending.model_name)
            return FAILED
        return WRITTEN
