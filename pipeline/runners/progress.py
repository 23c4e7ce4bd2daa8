"""One line per component as the local runner goes through the DAG.

TFX's LocalDagRunner and BeamDagRunner have no callback API; they log fixed
messages through absl when a node starts, when a cached execution is reused
and when a node finishes. This handler matches those message templates (not their rendered
text) and reports each component once, with its duration.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable

# LocalDagRunner's templates, then BeamDagRunner's.
_RUNNING = ("Component %s is running.", "node %s is running.")
_FINISHED = ("Component %s is finished.", "node %s is finished.")
_CACHED = "A cached execution %d is used."


@dataclasses.dataclass(frozen=True)
class ComponentEvent:
    name: str
    status: str  # "executed" or "cached"
    seconds: float


class ComponentProgress(logging.Handler):
    """Calls `on_finish` with a ComponentEvent for every finished component."""

    def __init__(
        self,
        on_start: Callable[[str], None],
        on_finish: Callable[[ComponentEvent], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(level=logging.INFO)
        self._on_start = on_start
        self._on_finish = on_finish
        self._clock = clock
        self.current: str | None = None
        self._started = 0.0
        self._cached = False
        self.finished: list[ComponentEvent] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg in _RUNNING:
            self.current, self._started, self._cached = record.args[0], self._clock(), False
            self._on_start(self.current)
        elif record.msg == _CACHED:
            self._cached = True
        elif record.msg in _FINISHED and self.current is not None:
            event = ComponentEvent(
                name=self.current,
                status="cached" if self._cached else "executed",
                seconds=self._clock() - self._started,
            )
            self.finished.append(event)
            self.current = None
            self._on_finish(event)
