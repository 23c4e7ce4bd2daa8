"""Record builds for the request logger's tests, importable by its writer process.

The logger pickles each build and calls it in another process, so a test's
builds live in a module that process can import by name (`tests` is on the
path), not in the test module or a lambda.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from serving import prediction_log

MODEL = "half_plus_two"
VERSION = 123


def record(x: float) -> prediction_log.GrpcCall:
    """A `:predict` record whose input and output `x` identify it."""
    request_spec = prediction_log.requested_spec(MODEL, None, None, "")
    answered = prediction_log.requested_spec(MODEL, VERSION, None, "serving_default")
    x_array = np.array([x], dtype=np.float32)
    return prediction_log.rest_predict(request_spec, {"x": x_array}, answered, {"y": x_array})


def pid_record() -> prediction_log.GrpcCall:
    """A record of the process that built it: its `x` is that process's id."""
    return record(float(os.getpid()))


def broken() -> prediction_log.GrpcCall:
    raise ValueError("not a record")


class HeldUp:
    """A build that holds up the writer: it marks `busy`, then waits for `release`."""

    def __init__(self, folder: Path, timeout_s: float) -> None:
        self.busy, self.release, self.timeout_s = folder / "busy", folder / "release", timeout_s

    def __call__(self) -> prediction_log.GrpcCall:
        self.busy.touch()
        deadline = time.monotonic() + self.timeout_s
        while not self.release.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return record(0.0)
