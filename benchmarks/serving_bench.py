"""Serving benchmark: in-process `serving_default` vs `python -m serving` over REST and gRPC.

Measures, side by side in one run and on the same example:

* an in-process call of the pushed SavedModel's `serving_default` signature;
* the local server (`python -m serving`) over REST and over gRPC, each with
  one client and with 16 concurrent clients (one thread and one keep-alive
  connection per client), on a server without and one with server-side
  batching (`--enable_batching`).

Every phase reports p50/p99 latency and requests per second. Phases run in
rounds; odd rounds run them in reverse order so slow drift of a shared
machine does not favour one configuration, and the tables report the median
over rounds. All load goes to servers this script starts on free
127.0.0.1 ports, and every phase stops after `--requests` requests or
`--seconds` seconds, whichever comes first.

    .venv/bin/python benchmarks/serving_bench.py --quick      # smoke check, < 1 min
    .venv/bin/python benchmarks/serving_bench.py              # full run, writes results

The timed clients are raw `http.client` / gRPC stubs that send a request encoded
once up front (the REST body exactly as `serving.client.RestClient` encodes
it, the gRPC request from `serving.tensors.to_tensor_proto`), so the numbers
are the server and its transport, not per-call client-side encoding. The
project's clients are used once per server to check its answers against the
in-process call.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime
import http.client
import itertools
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
from machine import cpu_model

from models import layout
from pipeline import defaults

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_DIR = defaults.SERVING_DIR / defaults.MODEL_NAME
DEFAULT_RESULTS_DIR = REPO_ROOT / "benchmarks" / "results"
PROJECT_BATCHING_CONFIG = REPO_ROOT / "serving" / "container" / "batching.config"
RESULTS_NAME = "serving_bench"

CONCURRENT_CLIENTS = 16
REQUEST_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0
OUTPUT_ATOL = 1e-5

# "logging": no batching, every request logged (--request_log_sampling_rate=1).
SERVERS = ("plain", "batching", "logging")
# A server that answers without doing any work (transport_floor.py), timed with one
# client per protocol: what the transport alone costs.
FLOOR = "floor"
SERVING = ("-m", "serving")
FLOOR_PROGRAM = (str(Path(__file__).with_name("transport_floor.py")),)
PROTOCOLS = ("rest", "grpc")
IN_PROCESS = "in_process"
SIGNATURE = "signature"  # tf.saved_model.load(...).signatures["serving_default"]
SESSION = "session"  # the server's own model path, serving.servable.Servable.run
BASELINE = f"{IN_PROCESS}/{SIGNATURE}/1"
MODEL_CALL = f"{IN_PROCESS}/{SESSION}/1"
# Diagnostic in-process phases pause this long before each call, about the idle
# gap a single served client leaves between two model runs (its round trip).
PAUSE_S = 0.002
PACED = "_paced"

# (key, description, limit, ">=" or "<=", unit of the measured value)
_1 = "(1 client, no batching)"
TARGETS = (
    ("grpc_p50_vs_in_process", f"gRPC p50 ≤ 1.5× in-process p50 {_1}", 1.5, "<=", "×"),
    ("rest_p50_vs_in_process", f"REST p50 ≤ 2× in-process p50 {_1}", 2.0, "<=", "×"),
    ("grpc_overhead_ms", f"gRPC p50 − in-process `Servable.run` p50 ≤ 1.0 ms {_1}", 1.0, "<=",
     " ms"),
    ("rest_overhead_ms", f"REST p50 − in-process `Servable.run` p50 ≤ 1.5 ms {_1}", 1.5, "<=",
     " ms"),
    ("grpc_batching_speedup", "gRPC with batching: req/s at 16 clients ≥ 3× 1 client", 3.0, ">=",
     "×"),
    ("rest_batching_speedup", "REST with batching: req/s at 16 clients ≥ 3× 1 client", 3.0, ">=",
     "×"),
    ("grpc_plain_p99_vs_p50", f"gRPC p99 ≤ 3× p50 {_1}", 3.0, "<=", "×"),
    ("rest_plain_p99_vs_p50", f"REST p99 ≤ 3× p50 {_1}", 3.0, "<=", "×"),
    ("grpc_batching_p99_vs_p50", "gRPC p99 ≤ 3× p50 (1 client, batching)", 3.0, "<=", "×"),
    ("rest_batching_p99_vs_p50", "REST p99 ≤ 3× p50 (1 client, batching)", 3.0, "<=", "×"),
    ("grpc_logging_throughput", "gRPC, every request logged: req/s at 16 clients ≥ 0.9× unlogged",
     0.9, ">=", "×"),
    ("rest_logging_throughput", "REST, every request logged: req/s at 16 clients ≥ 0.9× unlogged",
     0.9, ">=", "×"),
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Settings:
    """How much load each phase gets; every phase stops at whichever limit comes first."""

    rounds: int
    requests: int
    seconds: float
    warmup_requests: int
    warmup_seconds: float
    clients: int = CONCURRENT_CLIENTS
    batch_size: int = 1


QUICK = Settings(rounds=1, requests=200, seconds=1.0, warmup_requests=5, warmup_seconds=0.5)
FULL = Settings(rounds=3, requests=4000, seconds=10.0, warmup_requests=30, warmup_seconds=3.0)


@dataclasses.dataclass(frozen=True)
class Phase:
    """One measured configuration: where requests go and how many clients send them."""

    server: str  # one of SERVERS, or IN_PROCESS
    protocol: str  # "rest", "grpc", or in-process: SIGNATURE or SESSION (+ PACED)
    clients: int

    @property
    def key(self) -> str:
        return f"{self.server}/{self.protocol}/{self.clients}"

    @property
    def model(self) -> str:
        """The in-process model the phase calls (SIGNATURE or SESSION)."""
        return self.protocol.removesuffix(PACED)

    @property
    def pause_s(self) -> float:
        """Idle time before each call (not part of its latency)."""
        return PAUSE_S if self.protocol.endswith(PACED) else 0.0

    @property
    def label(self) -> str:
        """How the phase is named in the tables."""
        if self.server == IN_PROCESS:
            call = "`serving_default`" if self.model == SIGNATURE else "`Servable.run`"
            if self.pause_s:
                return f"in-process {call}, {self.pause_s * 1000:g} ms pause before each call"
            if self.model == SIGNATURE:
                return f"in-process {call} (**baseline**)"
            return f"in-process {call} (the server's model call)"
        protocol = "gRPC" if self.protocol == "grpc" else "REST"
        if self.server == FLOOR:
            return f"{protocol}, transport floor (a server that does no work)"
        if self.server == "logging":
            return f"{protocol}, no batching, every request logged"
        return f"{protocol}, {'batching' if self.server == 'batching' else 'no batching'}"


@dataclasses.dataclass(frozen=True)
class PhaseResult:
    """Latencies and throughput of one phase in one round."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    rps: float
    client_cpu_pct: float  # this process's CPU time / wall time (200 = both cores)
    # The server process's and its children's (the request log writer); None in-process.
    server_cpu_pct: float | None


# ---------------------------------------------------------------- the model and its inputs


def output_of(version_dir: Path) -> str:
    """What a pushed version answers under, from the dataset spec it records."""
    from models.dataset import DatasetSpec
    from models.features import prediction_key

    return prediction_key(DatasetSpec.read_from_model(str(version_dir)))


def find_version_dir(model_dir: Path) -> Path:
    """The highest numbered version under a pushed model's base dir, as the server picks it."""
    versions = layout.version_names(model_dir)
    if not versions:
        raise FileNotFoundError(f"no numbered version directory under {model_dir}")
    return model_dir / versions[-1]


def read_example_rows(count: int) -> list[dict]:
    """The first `count` rows of the taxi CSV sample that ships with tfx."""
    from pipeline.defaults import sample_data_root

    with (sample_data_root() / "data.csv").open(newline="", encoding="utf-8") as f:
        return list(itertools.islice(csv.DictReader(f), count))


@dataclasses.dataclass(frozen=True)
class Payload:
    """The same example(s) in every form a phase sends them."""

    instances: list[dict]  # REST row format
    columns: dict  # name -> numpy array, for gRPC and the in-process call
    rest_body: bytes
    grpc_request: Any  # PredictRequest


def build_payload(model_name: str, batch_size: int) -> Payload:
    """Typed raw features for `serving_default`, encoded once for REST and gRPC."""
    from tensorflow_serving.apis import predict_pb2

    from pipeline.runners.configs import load_dataset
    from serving.rows import schema_inputs, to_columns, to_instances
    from serving.tensors import to_tensor_proto

    taxi = load_dataset("taxi")
    inputs = schema_inputs(taxi.schema, taxi.spec.model_features())
    instances = to_instances(read_example_rows(batch_size), inputs)
    columns = to_columns(instances, inputs)
    # As RestClient sends it: a missing float feature is a bare NaN token.
    rest_body = json.dumps({"instances": instances}, allow_nan=True).encode()
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model_name
    for name, values in columns.items():
        request.inputs[name].CopyFrom(to_tensor_proto(values))
    return Payload(instances, columns, rest_body, request)


class InProcessSignature:
    """`tf.saved_model.load(version_dir).signatures["serving_default"]`, called in-process."""

    def __init__(self, version_dir: Path, columns: dict) -> None:
        import tensorflow as tf

        self._signature = tf.saved_model.load(str(version_dir)).signatures[layout.SERVING_SIGNATURE]
        self._tensors = {name: tf.constant(values) for name, values in columns.items()}
        self._output = output_of(version_dir)

    def __call__(self):
        return self._signature(**self._tensors)[self._output].numpy()

    def close(self) -> None:
        """Nothing to release per phase (one instance serves every round)."""


class InProcessSession:
    """The version loaded and run as the server runs it (`serving.servable.Servable`).

    Same feeds and fetches as the server's Predict, minus transport and
    request decoding: the gap between this and the baseline is the server's
    model path, the rest of a served request's latency is everything else.
    """

    def __init__(self, model_name: str, version_dir: Path, columns: dict) -> None:
        from serving.servable import Servable

        self._servable = Servable.load(model_name, int(version_dir.name), str(version_dir))
        signature = self._servable.signature_defs[layout.SERVING_SIGNATURE]
        self._feeds = {signature.inputs[name].name: values for name, values in columns.items()}
        self._fetches = [signature.outputs[output_of(version_dir)].name]

    def __call__(self):
        return self._servable.run(self._feeds, self._fetches)

    def close(self) -> None:
        """Nothing to release per phase; `unload` at the end."""

    def unload(self) -> None:
        self._servable.retire()


# ---------------------------------------------------------------- servers


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """`python -m serving` (or `program`) on free loopback ports, its log kept in a temp dir."""

    def __init__(
        self, name: str, args: list[str], log_dir: Path, program: tuple[str, ...] = SERVING
    ) -> None:
        self.name = name
        self.grpc_port, self.rest_port = free_port(), free_port()
        self.log_path = log_dir / f"{name}.log"
        self.args = args
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        with open(self.log_path, "wb") as log:
            self.popen = subprocess.Popen(
                [
                    sys.executable,
                    *program,
                    "--host=127.0.0.1",
                    f"--port={self.grpc_port}",
                    f"--rest_api_port={self.rest_port}",
                    *args,
                ],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def wait_until_available(self, model: str, deadline: float) -> None:
        """Polls the model status until a version is AVAILABLE (TF Serving's readiness gate)."""
        import httpx

        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(
                    f"{self.name} server exited with {self.popen.returncode}:\n{self.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError, ValueError):
                response = httpx.get(f"{self.rest_url}/v1/models/{model}", timeout=2)
                states = [s["state"] for s in response.json().get("model_version_status", [])]
                if response.status_code == 200 and "AVAILABLE" in states:
                    return
            time.sleep(0.25)
        raise RuntimeError(f"{self.name} server not AVAILABLE in time:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM, then kill if it has not exited within STOP_TIMEOUT_S."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def server_args(
    model_name: str, model_dir: Path, batching_config: Path | None, request_log: Path | None = None
) -> list[str]:
    """Flags for one server; version polling is off so it cannot disturb the timings."""
    args = [
        f"--model_name={model_name}",
        f"--model_base_path={model_dir}",
        "--file_system_poll_wait_seconds=0",
    ]
    if batching_config is not None:
        args += ["--enable_batching", f"--batching_parameters_file={batching_config}"]
    if request_log is not None:
        args += [f"--request_log_dir={request_log}", "--request_log_sampling_rate=1"]
    return args


@contextlib.contextmanager
def running_servers(
    model_name: str, model_dir: Path, batching_config: Path, output: str
) -> Iterator[dict[str, ServerProcess]]:
    """The three servers (plain, batching, logging) and the transport floor, started
    together and always stopped.

    Yields as soon as both processes are started; see `wait_until_available`.
    """
    servers: dict[str, ServerProcess] = {}
    with tempfile.TemporaryDirectory(prefix="serving-bench-") as log_dir:
        try:
            logs = Path(log_dir) / "requests"
            for name, config, request_log in (
                ("plain", None, None),
                ("batching", batching_config, None),
                ("logging", None, logs),
            ):
                args = server_args(model_name, model_dir, config, request_log)
                servers[name] = ServerProcess(name, args, Path(log_dir))
            floor_args = [f"--model_name={model_name}", f"--output={output}"]
            servers[FLOOR] = ServerProcess(FLOOR, floor_args, Path(log_dir), FLOOR_PROGRAM)
            yield servers
        finally:
            for server in servers.values():
                server.stop()


def wait_until_available(servers: dict[str, ServerProcess], model_name: str) -> None:
    """Waits, up to READY_TIMEOUT_S in all, until every server reports the model AVAILABLE."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    for server in servers.values():
        server.wait_until_available(model_name, deadline)


def check_answers(server: ServerProcess, model_name: str, payload: Payload, expected) -> None:
    """Both protocols answer like the in-process call (through the project's clients)."""
    from serving.client import GrpcClient, RestClient

    with RestClient(server.rest_url, model_name) as client:
        rest = client.predict(payload.instances).only()
    with GrpcClient(server.grpc_target, model_name) as client:
        (grpc_out,) = client.predict(payload.columns).outputs.values()
    check_close(f"{server.name} server over REST", rest, expected)
    check_close(f"{server.name} server over gRPC", grpc_out, expected)


def check_close(what: str, got, expected) -> None:
    """Raises unless `got` equals the in-process answer within OUTPUT_ATOL."""
    import numpy as np

    if not np.allclose(np.ravel(got), np.ravel(expected), atol=OUTPUT_ATOL):
        raise RuntimeError(f"{what} answered {got}, the in-process call {expected}")


# ---------------------------------------------------------------- clients


class RestCaller:
    """One REST client with its own keep-alive connection; posts the pre-encoded body.

    The standard library's `http.client`, not `httpx`: against the same server,
    `httpx` spent 0.7-1.3 ms more per request in the client (p50 2.67 against
    1.42 ms, docs/benchmarks.md), which would be counted as the server's.
    """

    def __init__(self, base_url: str, model_name: str, body: bytes) -> None:
        host, port = urllib.parse.urlsplit(base_url).netloc.rsplit(":", 1)
        self._connection = http.client.HTTPConnection(host, int(port), timeout=REQUEST_TIMEOUT_S)
        self._path = f"/v1/models/{model_name}:predict"
        self._body = body
        self._headers = {"Content-Type": "application/json"}

    def __call__(self):
        self._connection.request("POST", self._path, body=self._body, headers=self._headers)
        response = self._connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"REST {response.status}: {body[:200]!r}")
        return json.loads(body)

    def close(self) -> None:
        self._connection.close()


class GrpcCaller:
    """One gRPC client with its own channel (no shared subchannel); sends the prebuilt request."""

    def __init__(self, target: str, request) -> None:
        import grpc
        from tensorflow_serving.apis import prediction_service_pb2_grpc

        # A local subchannel pool gives each client its own HTTP/2 connection.
        self._channel = grpc.insecure_channel(
            target, options=[("grpc.use_local_subchannel_pool", 1)]
        )
        self._predict = prediction_service_pb2_grpc.PredictionServiceStub(self._channel).Predict
        self._request = request

    def __call__(self):
        return self._predict(self._request, timeout=REQUEST_TIMEOUT_S)

    def close(self) -> None:
        self._channel.close()


# ---------------------------------------------------------------- load


def drive(
    callers: list[Callable[[], Any]], max_requests: int, max_seconds: float, pause_s: float = 0.0
) -> tuple[list[float], float]:
    """Calls concurrently, one thread per caller, until `max_requests` or `max_seconds`.

    Returns every request's latency (seconds) and the wall time from the
    common start to the last thread's finish. Raises on the first failure.
    With `pause_s`, each thread sleeps that long before each call.
    """
    tickets = itertools.count()  # next() is atomic under the GIL
    latencies: list[list[float]] = [[] for _ in callers]
    finished = [0.0] * len(callers)
    errors: list[BaseException] = []
    start_gate = threading.Barrier(len(callers) + 1, timeout=60)
    state = {"deadline": 0.0}

    def work(index: int, call: Callable[[], Any]) -> None:
        start_gate.wait()
        deadline = state["deadline"]
        own = latencies[index]
        try:
            while not errors and next(tickets) < max_requests:
                if pause_s:
                    time.sleep(pause_s)
                began = time.perf_counter()
                if began >= deadline:
                    break
                call()
                own.append(time.perf_counter() - began)
        except BaseException as exc:
            errors.append(exc)
        finally:
            finished[index] = time.perf_counter()

    threads = [
        threading.Thread(target=work, args=(i, call), daemon=True) for i, call in enumerate(callers)
    ]
    for thread in threads:
        thread.start()
    state["deadline"] = time.perf_counter() + max_seconds
    start_gate.wait()
    started = time.perf_counter()
    join_by = time.monotonic() + max_seconds + REQUEST_TIMEOUT_S + 5
    for thread in threads:
        thread.join(max(0.0, join_by - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        errors.append(TimeoutError("a client thread did not finish in time"))
    if errors:
        raise RuntimeError(f"load phase failed: {errors[0]!r}") from errors[0]
    return [x for own in latencies for x in own], max(finished) - started


def summarize(
    latencies: list[float], elapsed: float, client_cpu_pct: float, server_cpu_pct: float | None
) -> PhaseResult:
    """p50/p99 in milliseconds and requests per second."""
    import numpy as np

    if not latencies:
        raise RuntimeError("no request completed in the phase")
    ms = np.asarray(latencies) * 1000
    return PhaseResult(
        requests=len(latencies),
        seconds=round(elapsed, 3),
        p50_ms=round(float(np.percentile(ms, 50)), 3),
        p99_ms=round(float(np.percentile(ms, 99)), 3),
        rps=round(len(latencies) / elapsed, 1),
        client_cpu_pct=client_cpu_pct,
        server_cpu_pct=server_cpu_pct,
    )


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds so far of a process and its children, None if unknown.

    The children count: the logging server builds and writes its records in a
    writer process, whose CPU is part of what logging costs.
    """
    try:
        server = psutil.Process(pid)
        processes = [server, *server.children(recursive=True)]
    except psutil.Error:
        return None
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):  # a child that just exited
            times = process.cpu_times()
            total += times.user + times.system
    return total


def cpu_percent(before: float | None, after: float | None, elapsed: float) -> float | None:
    if before is None or after is None:
        return None
    return round(100 * (after - before) / elapsed, 1)


def measure(
    phase: Phase, make_caller: Callable[[], Any], settings: Settings, server_pid: int | None
) -> PhaseResult:
    """Warm-up, then the timed load, with one caller (own connection) per client."""
    callers = []
    try:
        for _ in range(phase.clients):
            callers.append(make_caller())
        warmup = settings.warmup_requests * phase.clients
        drive(callers, warmup, settings.warmup_seconds, phase.pause_s)
        client_before = time.process_time()
        server_before = process_cpu_seconds(server_pid) if server_pid else None
        latencies, elapsed = drive(callers, settings.requests, settings.seconds, phase.pause_s)
        server_after = process_cpu_seconds(server_pid) if server_pid else None
        client_after = time.process_time()
        return summarize(
            latencies,
            elapsed,
            client_cpu_pct=cpu_percent(client_before, client_after, elapsed),
            server_cpu_pct=cpu_percent(server_before, server_after, elapsed),
        )
    finally:
        for caller in callers:
            caller.close()


def phases(clients: int) -> list[Phase]:
    """The in-process calls (back to back, then paced), then each served configuration.

    The servers take turns at each protocol and client count, so the phases the
    logging ratio compares (logged and plain, same clients) run back to back:
    on a noisy machine, minutes between them moved that ratio by up to 0.34.
    """
    served = [
        Phase(server, protocol, n)
        for protocol in PROTOCOLS
        for n in (1, clients)
        for server in ((FLOOR, *SERVERS) if n == 1 else SERVERS)
    ]
    local = [Phase(IN_PROCESS, name, 1) for name in (SIGNATURE, SESSION)]
    paced = [Phase(IN_PROCESS, name + PACED, 1) for name in (SIGNATURE, SESSION)]
    return [*local, *paced, *served]


def caller_factory(
    phase: Phase,
    servers: dict[str, ServerProcess],
    model_name: str,
    payload: Payload,
    in_process: dict[str, InProcessSignature | InProcessSession],
) -> Callable[[], Any]:
    """A function making a fresh caller (own client and connection) for the phase."""
    if phase.server == IN_PROCESS:
        return lambda: in_process[phase.model]
    server = servers[phase.server]
    if phase.protocol == "rest":
        return lambda: RestCaller(server.rest_url, model_name, payload.rest_body)
    return lambda: GrpcCaller(server.grpc_target, payload.grpc_request)


def run_rounds(
    servers: dict[str, ServerProcess],
    model_name: str,
    payload: Payload,
    in_process: dict[str, InProcessSignature | InProcessSession],
    settings: Settings,
) -> list[dict]:
    """Every phase once per round; odd rounds run the phases in reverse order."""
    rounds = []
    for number in range(settings.rounds):
        order = phases(settings.clients)
        if number % 2:
            order.reverse()
        results = {}
        for phase in order:
            make = caller_factory(phase, servers, model_name, payload, in_process)
            server = servers.get(phase.server)
            result = measure(phase, make, settings, server.popen.pid if server else None)
            results[phase.key] = dataclasses.asdict(result)
            print(f"  round {number + 1} {phase.key:<30} {format_result(result)}", flush=True)
        rounds.append({"round": number + 1, "order": [p.key for p in order], "phases": results})
    return rounds


# ---------------------------------------------------------------- results


def format_result(result: PhaseResult) -> str:
    """One phase's numbers on one line, for the progress output."""
    server_cpu = "-" if result.server_cpu_pct is None else f"{result.server_cpu_pct:.0f}%"
    return (
        f"p50 {result.p50_ms:8.3f} ms  p99 {result.p99_ms:8.3f} ms  "
        f"{result.rps:7.1f} req/s  {result.requests:5d} req  "
        f"CPU client {result.client_cpu_pct:.0f}% server {server_cpu}"
    )


def format_cpu(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def median_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 3) if known else None


def medians(rounds: list[dict]) -> dict[str, dict[str, float | None]]:
    """Per phase, the median over rounds of each metric."""
    metrics = ("p50_ms", "p99_ms", "rps", "requests", "client_cpu_pct", "server_cpu_pct")
    return {
        key: {
            metric: median_or_none([r["phases"][key][metric] for r in rounds]) for metric in metrics
        }
        for key in rounds[0]["phases"]
    }


def round_ratios(phases_of_round: dict[str, dict], clients: int) -> dict[str, float]:
    """The targets' ratios (and their no-batching counterparts) within one round.

    Paired within a round, so slow drift of the machine cancels out.
    """
    base = phases_of_round[BASELINE]["p50_ms"]
    model_call = phases_of_round[MODEL_CALL]["p50_ms"]
    ratios = {}
    for protocol in PROTOCOLS:
        single = phases_of_round[f"plain/{protocol}/1"]
        ratios[f"{protocol}_p50_vs_in_process"] = single["p50_ms"] / base
        ratios[f"{protocol}_overhead_ms"] = single["p50_ms"] - model_call
        floor = phases_of_round[f"{FLOOR}/{protocol}/1"]["p50_ms"]
        # What the server adds beyond the transport and its model call.
        ratios[f"{protocol}_overhead_above_floor_ms"] = single["p50_ms"] - floor - model_call
        for server in ("plain", "batching"):
            one = phases_of_round[f"{server}/{protocol}/1"]
            ratios[f"{protocol}_{server}_p99_vs_p50"] = one["p99_ms"] / one["p50_ms"]
        for server, suffix in (("plain", "no_batching_speedup"), ("batching", "batching_speedup")):
            single = phases_of_round[f"{server}/{protocol}/1"]["rps"]
            many = phases_of_round[f"{server}/{protocol}/{clients}"]["rps"]
            ratios[f"{protocol}_{suffix}"] = many / single
        for n, suffix in ((clients, "logging_throughput"), (1, "logging_throughput_1_client")):
            logged = phases_of_round[f"logging/{protocol}/{n}"]["rps"]
            unlogged = phases_of_round[f"plain/{protocol}/{n}"]["rps"]
            ratios[f"{protocol}_{suffix}"] = logged / unlogged
    return ratios


def evaluate_targets(rounds: list[dict], clients: int) -> dict[str, dict]:
    """Median over rounds of each ratio, compared with its target where it has one."""
    per_round = [round_ratios(r["phases"], clients) for r in rounds]
    verdicts = {}
    for key in per_round[0]:
        values = [r[key] for r in per_round]
        verdicts[key] = {
            "median": round(statistics.median(values), 3),
            "rounds": [round(v, 3) for v in values],
        }
    for key, description, limit, direction, _unit in TARGETS:
        value = verdicts[key]["median"]
        met = value <= limit if direction == "<=" else value >= limit
        verdicts[key].update(target=f"{direction} {limit}", description=description, met=met)
    return verdicts


def machine_info() -> dict:
    """What the numbers depend on: CPU, OS and library versions."""
    import grpc
    import httpx
    import tensorflow as tf

    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "grpcio": grpc.__version__,
        "httpx": httpx.__version__,
    }


def batching_parameters(path: Path) -> list[str]:
    """The batching file's settings (its non-comment lines), recorded instead of its path."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def markdown_tables(results: dict) -> str:
    """The per-phase table and the targets table, as Markdown."""
    med = results["medians"]
    rounds = results["settings"]["rounds"]
    lines = [
        "| Phase | Clients | p50 ms | p99 ms | req/s | client CPU % | server CPU % |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for phase in phases(results["settings"]["clients"]):
        m = med[phase.key]
        rps = "–" if phase.pause_s else f"{m['rps']:.0f}"  # a paced rate says nothing
        lines.append(
            f"| {phase.label} | {phase.clients} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} "
            f"| {rps} | {format_cpu(m['client_cpu_pct'])} "
            f"| {format_cpu(m['server_cpu_pct'])} |"
        )
    lines += ["", "| Target | Measured | Met |", "|---|---:|:---:|"]
    for key, *_, unit in TARGETS:
        verdict = results["targets"][key]
        met = "yes" if verdict["met"] else "**no**"
        lines.append(f"| {verdict['description']} | {verdict['median']:.2f}{unit} | {met} |")
    lines += ["", *floor_lines(results)]
    load = results["load_average"]
    lines += [
        "",
        f"Medians of {rounds} round(s); ratios are medians of per-round ratios; "
        "CPU % is CPU time over wall time (200 = both cores busy); a server's "
        "includes its child processes (the request log writer). "
        f"Load average (1/5/15 min) before: {format_load(load['before'])}, "
        f"after: {format_load(load['after'])}.",
    ]
    return "\n".join(lines) + "\n"


def floor_lines(results: dict) -> list[str]:
    """Where the 1-client overhead goes: the transport floor and the server's own work."""
    lines = []
    for protocol, name in (("grpc", "gRPC"), ("rest", "REST")):
        overhead = results["targets"][f"{protocol}_overhead_ms"]["median"]
        own = results["targets"][f"{protocol}_overhead_above_floor_ms"]["median"]
        floor = results["medians"][f"{FLOOR}/{protocol}/1"]["p50_ms"]
        lines.append(
            f"- {name}: overhead {overhead:.2f} ms; transport floor (client, loopback and "
            f"framework, no work) p50 {floor:.2f} ms; the server's own work above the floor "
            f"and its model call {own:.2f} ms (medians over rounds, which need not add up)."
        )
    return lines


def format_load(load: list[float]) -> str:
    return " / ".join(f"{x:.2f}" for x in load)


def results_markdown(results: dict) -> str:
    """The results file in Markdown: context, then the tables."""
    machine = results["machine"]
    settings = results["settings"]
    return (
        "# Serving benchmark results\n\n"
        f"Model `{results['model']['name']}` version {results['model']['version']}, "
        f"{settings['batch_size']} example(s) per request; {results['timestamp']}.\n"
        f"Machine: {machine['cpu_count']} × {machine['cpu_model']}, {machine['system']}, "
        f"Python {machine['python']}, TensorFlow {machine['tensorflow']}.\n"
        f"Each phase: at most {settings['requests']} requests or {settings['seconds']} s "
        f"after {settings['warmup_requests']} warm-up requests per client.\n\n"
        + markdown_tables(results)
    )


def write_atomically(path: Path, text: str) -> None:
    """Writes `path` via `<path>.tmp` and a rename, so readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_results(results: dict, out_dir: Path) -> None:
    """`serving_bench.json` (everything) and `serving_bench.md` (the tables) in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(out_dir / f"{RESULTS_NAME}.json", json.dumps(results, indent=2) + "\n")
    write_atomically(out_dir / f"{RESULTS_NAME}.md", results_markdown(results))
    print(f"Wrote {RESULTS_NAME}.json and {RESULTS_NAME}.md to {out_dir}")


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--model-dir",
        type=Path,
        default=DEFAULT_MODEL_DIR,
        help="a pushed model's base dir, holding numbered versions "
        "(default: outputs/serving/taxi, written by `make run`)",
    )
    p.add_argument(
        "--batching-config",
        type=Path,
        default=PROJECT_BATCHING_CONFIG,
        help="BatchingParameters for the batching server "
        "(default: serving/container/batching.config)",
    )
    p.add_argument("--quick", action="store_true", help="one short round, a smoke check")
    p.add_argument("--rounds", type=int, help="rounds of all phases (full: 3)")
    p.add_argument("--requests", type=int, help="max requests per phase (full: 4000)")
    p.add_argument("--seconds", type=float, help="max seconds per phase (full: 10)")
    p.add_argument("--batch-size", type=int, default=1, help="examples per request (default 1)")
    p.add_argument(
        "--out-dir",
        type=Path,
        default=None,
        help="where to write the results (default: benchmarks/results; "
        "with --quick nothing is written unless this is given)",
    )
    args = p.parse_args(argv)
    for name in ("rounds", "requests", "seconds", "batch_size"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    return args


def settings_from(args: argparse.Namespace) -> Settings:
    base = QUICK if args.quick else FULL
    overrides = {
        name: getattr(args, name)
        for name in ("rounds", "requests", "seconds")
        if getattr(args, name) is not None
    }
    return dataclasses.replace(base, batch_size=args.batch_size, **overrides)


def benchmark(args: argparse.Namespace, settings: Settings) -> dict:
    """Runs every round against freshly started servers; returns the results document."""
    load_before = list(os.getloadavg())
    timestamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    model_dir = args.model_dir.resolve()
    version_dir = find_version_dir(model_dir)
    model_name = model_dir.name
    print(f"Model {model_name} version {version_dir.name}: starting four servers", flush=True)
    with running_servers(
        model_name, model_dir, args.batching_config.resolve(), output_of(version_dir)
    ) as servers:
        # Load the in-process models while the servers start.
        payload = build_payload(model_name, settings.batch_size)
        in_process = {SIGNATURE: InProcessSignature(version_dir, payload.columns)}
        in_process[SESSION] = InProcessSession(model_name, version_dir, payload.columns)
        try:
            expected = in_process[SIGNATURE]()
            check_close("in-process Servable.run", in_process[SESSION]()[0], expected)
            wait_until_available(servers, model_name)
            for server in servers.values():
                if server.name != FLOOR:
                    check_answers(server, model_name, payload, expected)
            rounds = run_rounds(servers, model_name, payload, in_process, settings)
        finally:
            in_process[SESSION].unload()
    load_after = list(os.getloadavg())
    results = {
        "benchmark": RESULTS_NAME,
        "timestamp": timestamp,
        "machine": machine_info(),
        "load_average": {"before": load_before, "after": load_after},
        "model": {"name": model_name, "version": version_dir.name},
        "settings": {
            **dataclasses.asdict(settings),
            "quick": args.quick,
            "client": "raw http.client / gRPC stub per thread, keep-alive, request pre-encoded",
            "server_flags": "--file_system_poll_wait_seconds=0, defaults otherwise",
            "batching_parameters": batching_parameters(args.batching_config),
        },
        "rounds": rounds,
        "medians": medians(rounds),
    }
    results["targets"] = evaluate_targets(rounds, settings.clients)
    return results


def main(argv: list[str] | None = None) -> int:
    from models.keras_version import use_keras_2

    use_keras_2()  # before anything imports TensorFlow
    args = parse_args(argv)
    if not layout.version_names(args.model_dir):
        print(
            f"No pushed model at {args.model_dir}: run `make run` first, "
            "or pass --model-dir <serving-dir>/<model>.",
            file=sys.stderr,
        )
        return 2
    if not args.batching_config.is_file():
        print(f"No batching parameters file at {args.batching_config}", file=sys.stderr)
        return 2
    # SIGTERM unwinds like Ctrl-C, so the servers are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    settings = settings_from(args)
    results = benchmark(args, settings)
    print()
    print(markdown_tables(results))
    out_dir = args.out_dir or (None if args.quick else DEFAULT_RESULTS_DIR)
    if out_dir is not None:
        write_results(results, out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
