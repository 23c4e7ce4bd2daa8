"""Server-side batching: concurrent compatible runs merged into one `Session::Run`.

Like TF Serving's batching session, requests that run the same version with
the same feeds and fetches, dtypes and non-batch dimensions queue together;
a batch is formed when it reaches `max_batch_size` rows or its oldest request
has waited `batch_timeout_micros`, whichever comes first, and it runs on one
of `num_batch_threads` workers. Inputs are concatenated along dim 0 and the
outputs split back by row counts.

As in TF Serving, a request of more rows than `max_batch_size` is refused
(`Task size N is larger than maximum input batch size M`); with
`enable_large_batch_splitting`, batches hold at most
`max_execution_batch_size` rows and a larger request runs on its own, which
gives the answers TF Serving's split runs give. Unlike TF Serving, a request
that cannot join a batch (scalar inputs, inputs with different dim 0) is not
rejected: it runs on its own. If a merged run fails, or an output does not have one row
per input row, the requests are re-run one by one so every caller gets its
own answer or error, never a neighbour's. Ragged inputs are not padded.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from serving.config import BatchingConfig
from serving.errors import Code, ServingError
from serving.servable import Servable

log = logging.getLogger(__name__)


@dataclasses.dataclass(eq=False)
class _Task:
    servable: Servable
    feeds: Mapping[str, np.ndarray]
    fetches: Sequence[str]
    rows: int
    enqueued: float
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    result: list[np.ndarray] | None = None
    error: BaseException | None = None
    abandoned: bool = False

    def finish(self, result: list[np.ndarray] | None, error: BaseException | None) -> None:
        self.result, self.error = result, error
        self.done.set()


class Batcher:
    """A `Runner` that batches compatible concurrent runs (see the module docstring)."""

    def __init__(
        self, config: BatchingConfig, on_batch: Callable[[str, int], None] | None = None
    ) -> None:
        self._config = config
        self._on_batch = on_batch
        self._cond = threading.Condition()
        self._queues: dict[tuple, collections.deque[_Task]] = {}
        self._closed = False
        self._workers = [
            threading.Thread(target=self._work, name=f"batch-{i}", daemon=True)
            for i in range(config.num_batch_threads)
        ]

    def start(self) -> None:
        """Starts the batch worker threads."""
        for worker in self._workers:
            worker.start()

    def stop(self) -> None:
        """Runs what is queued, then stops the workers."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for worker in self._workers:
            worker.join(timeout=30)

    def run(
        self,
        servable: Servable,
        feeds: Mapping[str, np.ndarray],
        fetches: Sequence[str],
        timeout_ms: int | None = None,
    ) -> list[np.ndarray]:
        """Runs the step, batched with compatible concurrent steps when possible."""
        rows = _batch_rows(feeds)
        if rows is not None and rows > self._config.max_batch_size:
            raise ServingError(
                Code.INVALID_ARGUMENT,
                f"Task size {rows} is larger than maximum input batch size "
                f"{self._config.max_batch_size}",
            )
        if rows is None or rows > self._config.execution_batch_size or self._closed:
            return servable.run(feeds, fetches, timeout_ms)
        task = _Task(servable, feeds, list(fetches), rows, time.monotonic())
        self._enqueue(task)
        timeout = timeout_ms / 1000 if timeout_ms else None
        if not task.done.wait(timeout):
            task.abandoned = True
            raise ServingError(Code.DEADLINE_EXCEEDED, "Timed out waiting for the batch to run")
        if task.error is not None:
            raise task.error
        assert task.result is not None
        return task.result

    def _enqueue(self, task: _Task) -> None:
        key = _batch_key(task)
        limit = self._config.max_enqueued_batches * self._config.execution_batch_size
        with self._cond:
            queue = self._queues.setdefault(key, collections.deque())
            if sum(t.rows for t in queue) + task.rows > limit:
                raise ServingError(
                    Code.UNAVAILABLE,
                    "The batch scheduling queue to which this task was submitted is full",
                )
            queue.append(task)
            self._cond.notify()

    def _work(self) -> None:
        while True:
            with self._cond:
                tasks = self._next_batch()
            if tasks is None:
                return
            self._execute(tasks)

    def _next_batch(self) -> list[_Task] | None:
        # Called with the condition held; waits until some queue is ready.
        timeout = self._config.batch_timeout_micros / 1e6
        while True:
            if not self._queues:
                if self._closed:
                    return None
                self._cond.wait()
                continue
            now = time.monotonic()
            ready_key, wait = None, None
            for key, queue in self._queues.items():
                age = now - queue[0].enqueued
                full = sum(t.rows for t in queue) >= self._config.execution_batch_size
                if full or age >= timeout or self._closed:
                    if ready_key is None or queue[0].enqueued < self._queues[ready_key][0].enqueued:
                        ready_key = key
                else:
                    remaining = timeout - age
                    wait = remaining if wait is None else min(wait, remaining)
            if ready_key is not None:
                return self._take(ready_key)
            self._cond.wait(wait)

    def _take(self, key: tuple) -> list[_Task]:
        queue = self._queues[key]
        tasks, rows = [], 0
        while queue and rows + queue[0].rows <= self._config.execution_batch_size:
            task = queue.popleft()
            if not task.abandoned:
                tasks.append(task)
                rows += task.rows
        if not queue:
            del self._queues[key]
        return tasks

    def _execute(self, tasks: list[_Task]) -> None:
        if not tasks:
            return
        if self._on_batch is not None:
            self._on_batch(tasks[0].servable.name, sum(t.rows for t in tasks))
        if len(tasks) == 1:
            self._run_alone(tasks[0])
            return
        first = tasks[0]
        feeds = {name: np.concatenate([t.feeds[name] for t in tasks]) for name in first.feeds}
        total = sum(t.rows for t in tasks)
        try:
            outputs = first.servable.run(feeds, first.fetches)
        except Exception:
            # One bad request must not fail its neighbours: rerun each alone.
            log.debug("Batched run failed; running its %d requests one by one", len(tasks))
            outputs = None
        if outputs is None or any(out.ndim == 0 or out.shape[0] != total for out in outputs):
            for task in tasks:
                self._run_alone(task)
            return
        start = 0
        for task in tasks:
            end = start + task.rows
            task.finish([out[start:end] for out in outputs], None)
            start = end

    @staticmethod
    def _run_alone(task: _Task) -> None:
        try:
            task.finish(task.servable.run(task.feeds, task.fetches), None)
        except Exception as exc:
            task.finish(None, exc)


def _batch_rows(feeds: Mapping[str, np.ndarray]) -> int | None:
    """The shared dim 0 of all feeds, or None when they cannot be batched."""
    sizes = {array.shape[0] if array.ndim else None for array in feeds.values()}
    if len(sizes) != 1:
        return None
    (rows,) = sizes
    return rows if rows else None


def _batch_key(task: _Task) -> tuple:
    feeds = tuple(
        (name, array.dtype.str, array.shape[1:]) for name, array in sorted(task.feeds.items())
    )
    return (id(task.servable), feeds, tuple(task.fetches))
