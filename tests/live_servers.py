"""Live `python -m serving` processes on free loopback ports, for any test that needs one.

Importable from tests and conftests (pyproject's pytest `pythonpath` holds
tests/). Servers wait on TF Serving's readiness gate: a version AVAILABLE.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

READY_TIMEOUT_S = 60
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass
class Endpoint:
    """A running server: where to reach it and, if writable, its model base path."""

    rest_url: str
    grpc_target: str
    model_dir: Path | None
    external: bool
    process: ServerProcess | None = None
    config_file: Path | None = None

    def client(self) -> httpx.Client:
        """An HTTP client for the REST API."""
        return httpx.Client(base_url=self.rest_url, timeout=30)


class ServerProcess:
    """`python -m serving` in a subprocess, with its log kept for failure reports."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None):
        self.log_path = log_path
        environ = {**os.environ, **(env or {})}
        with open(log_path, "wb") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "serving", *args],
                cwd=REPO_ROOT,
                env=environ,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_until_available(self, rest_url: str, model: str) -> None:
        """Polls the model status until a version is AVAILABLE (TF Serving's readiness gate)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"server exited with {self.popen.returncode}:\n{self.log_tail()}")
            if _is_available(rest_url, model):
                return
            time.sleep(0.25)
        self.stop()
        pytest.fail(f"server not AVAILABLE within {READY_TIMEOUT_S} s:\n{self.log_tail()}")

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, then wait; returns the exit code (kills after `timeout`)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _is_available(rest_url: str, model: str) -> bool:
    try:
        response = httpx.get(f"{rest_url}/v1/models/{model}", timeout=2)
    except httpx.HTTPError:
        return False
    if response.status_code != 200:
        return False
    states = [s["state"] for s in response.json().get("model_version_status", [])]
    return "AVAILABLE" in states


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerPool:
    """Starts servers on free ports and stops every one of them at the end."""

    def __init__(self, log_dirs: pytest.TempPathFactory) -> None:
        self._log_dirs = log_dirs
        self._processes: list[ServerProcess] = []

    def start(
        self,
        *args: str,
        model: str,
        env: dict[str, str] | None = None,
        model_dir: Path | None = None,
    ) -> Endpoint:
        """A started server, once `model` has a version AVAILABLE."""
        grpc_port, rest_port = free_port(), free_port()
        log_path = self._log_dirs.mktemp("server") / "server.log"
        process = ServerProcess(
            [f"--port={grpc_port}", f"--rest_api_port={rest_port}", *args], log_path, env
        )
        self._processes.append(process)
        rest_url = f"http://127.0.0.1:{rest_port}"
        process.wait_until_available(rest_url, model)
        return Endpoint(rest_url, f"127.0.0.1:{grpc_port}", model_dir, False, process)

    def stop_all(self) -> None:
        for process in self._processes:
            process.stop()
