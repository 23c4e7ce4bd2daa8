"""Ctrl-C and SIGTERM end a run the same way: stop, say where, exit 128 + signal.

SIGTERM is what `docker stop`, systemd and `timeout` send; by default Python
dies of it silently, with no message and no report. A signal can also be
lost: the interpreter runs the handler wherever the main thread is, and an
exception raised inside a finalizer (`__del__`, of which TensorFlow has many)
is printed and dropped, while Beam rewraps one raised in a DoFn as a
RuntimeError. So a received signal is remembered, and `check()` raises it
again at the next component boundary.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """The run was stopped by `signum`."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


class StopSignals:
    """The first stop signal a run received, if any."""

    def __init__(self) -> None:
        self.received: int | None = None

    def handle(self, signum: int, frame) -> None:
        if self.received is None:
            self.received = signum
        raise Interrupted(self.received)

    def check(self) -> None:
        """Raise the signal received earlier, if one was (and was swallowed)."""
        if self.received is not None:
            raise Interrupted(self.received)

    def interruption(self, error: BaseException) -> Interrupted | None:
        """`error` as the interruption it stands for, or None when no signal came."""
        if isinstance(error, Interrupted):
            return error
        if self.received is not None:
            return Interrupted(self.received)
        if isinstance(error, KeyboardInterrupt):
            return Interrupted(signal.SIGINT)
        return None


@contextlib.contextmanager
def stop_signals_raise() -> Iterator[StopSignals]:
    """While inside, SIGINT and SIGTERM raise Interrupted in the main thread.

    A signal the process inherited as ignored (a shell's background job, nohup)
    stays ignored, as Python itself does for SIGINT.
    """
    state = StopSignals()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    for s, handler in previous.items():
        if handler is not signal.SIG_IGN:
            signal.signal(s, state.handle)
    try:
        yield state
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
