"""`python -m serving.replay`: loopback targets only, the rate and duration bounds, and the
rows a live half_plus_two server logged as it received them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from serving import replay
from serving.replay import TargetError, loopback_target

M = "half_plus_two"
ROWS = 12


@pytest.mark.parametrize(
    ("target", "host", "port"),
    [
        ("127.0.0.1:8501", "127.0.0.1", 8501),
        ("127.9.8.7:1", "127.9.8.7", 1),
        ("[::1]:8500", "::1", 8500),
        ("localhost:8501", "localhost", 8501),
        ("LocalHost:8501", "LocalHost", 8501),
    ],
)
def test_loopback_targets_are_accepted(target, host, port):
    assert loopback_target(target) == (host, port)


@pytest.mark.parametrize(
    "target",
    ["10.0.0.1:8501", "0.0.0.0:8501", "192.168.1.2:8500", "[2001:db8::1]:8501", "example.com:80"],
)
def test_other_hosts_are_refused(target):
    with pytest.raises(TargetError, match="not on this machine"):
        loopback_target(target)


@pytest.mark.parametrize("target", ["8501", "127.0.0.1", "127.0.0.1:http", ":8501"])
def test_malformed_targets_are_refused(target):
    with pytest.raises(TargetError, match="not HOST:PORT"):
        loopback_target(target)


def test_a_remote_target_exits_2_before_sending_anything(tmp_path, capsys):
    rows = tmp_path / "rows.csv"
    rows.write_text("x\n1\n")
    assert replay.main(["--csv", str(rows), "--target", "10.1.2.3:8501"]) == 2
    assert "not on this machine" in capsys.readouterr().err


class FakeClock:
    """Time that passes only when slept through, and a little per request."""

    def __init__(self, per_request: float = 0.0) -> None:
        self.now = 100.0
        self.per_request = per_request
        self.sent_at: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def send(self, chunk: list[dict]) -> None:
        self.sent_at.append(self.now)
        self.now += self.per_request


def test_requests_are_spaced_by_the_rate_and_batched():
    clock = FakeClock()
    tally = replay.replay(
        clock.send, [{"x": i} for i in range(10)], rate=4.0, duration=60, batch=3,
        clock=lambda: clock.now, sleep=clock.sleep,
    )  # fmt: skip
    assert (tally.requests, tally.rows, tally.failed) == (4, 10, 0)
    assert [t - 100.0 for t in clock.sent_at] == [0.0, 0.25, 0.5, 0.75]


def test_the_duration_ends_the_replay_before_the_rows_do():
    clock = FakeClock()
    tally = replay.replay(
        clock.send, [{"x": i} for i in range(100)], rate=10.0, duration=1.0, batch=1,
        clock=lambda: clock.now, sleep=clock.sleep,
    )  # fmt: skip
    assert tally.requests == 10
    assert max(clock.sent_at) - 100.0 < 1.0


def test_slow_requests_lower_the_rate_and_still_stop_at_the_duration():
    clock = FakeClock(per_request=0.5)
    tally = replay.replay(
        clock.send, [{"x": i} for i in range(100)], rate=100.0, duration=2.0, batch=1,
        clock=lambda: clock.now, sleep=clock.sleep,
    )  # fmt: skip
    assert tally.requests == 4


def test_failures_are_counted_and_the_replay_goes_on():
    def send(chunk):
        if chunk[0]["x"] % 2:
            raise RuntimeError(f"boom {chunk[0]['x']}")

    tally = replay.replay(send, [{"x": i} for i in range(6)], rate=1000, duration=10, batch=1)
    assert (tally.requests, tally.failed, tally.first_error) == (6, 3, "boom 1")


# --- against a live server with request logging on -------------------------------------------


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("replay_logs")


@pytest.fixture(scope="module")
def logging_server(start_server, make_model_dir, log_dir, local_only):
    return start_server(
        f"--model_name={M}",
        f"--model_base_path={make_model_dir()}",
        f"--request_log_dir={log_dir}",
        "--request_log_max_file_records=1",
    )


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "serving.replay", *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _wait_for_records(folder: Path, count: int) -> list[float]:
    """The x inputs of the logged requests, once `count` are written, oldest first."""
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    deadline = time.monotonic() + 20
    while True:
        records = [
            prediction_log_pb2.PredictionLog.FromString(raw.numpy())
            for path in sorted(folder.rglob("requests-*.tfrecord"))
            for raw in tf.data.TFRecordDataset(str(path))
        ]
        if len(records) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    records.sort(key=lambda r: r.predict_log.request.inputs["x"].float_val[0])
    return [v for r in records for v in r.predict_log.request.inputs["x"].float_val]


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_replay_sends_every_row_once_and_the_server_logs_them(
    logging_server, log_dir, tmp_path, protocol
):
    folder = log_dir / M
    before = len(_wait_for_records(folder, 0)) if folder.exists() else 0
    offset = 1000.0 if protocol == "grpc" else 0.0
    rows = tmp_path / "rows.csv"
    rows.write_text("x\n" + "".join(f"{offset + i}\n" for i in range(ROWS)))
    target = logging_server.rest_url.removeprefix("http://")
    flags = ["--grpc"] if protocol == "grpc" else []
    if protocol == "grpc":
        target = logging_server.grpc_target

    result = _run("--csv", str(rows), "--target", target, "--model", M, "--rate", "50", *flags)

    assert result.returncode == 0, result.stderr
    assert f"Sent {ROWS} requests ({ROWS} rows)" in result.stdout
    assert "0 failed" in result.stdout
    xs = _wait_for_records(folder, before + ROWS)
    assert [x for x in xs if offset <= x < offset + ROWS] == [offset + i for i in range(ROWS)]


def test_max_rows_and_batches_bound_what_is_sent(logging_server, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("x\n" + "".join(f"{5000 + i}\n" for i in range(50)))
    target = logging_server.rest_url.removeprefix("http://")
    result = _run(
        "--csv", str(rows), "--target", target, "--model", M, "--max-rows", "7", "--batch", "3",
        "--rate", "100",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Sent 3 requests (7 rows)" in result.stdout


def test_a_server_that_is_not_there_is_exit_1(tmp_path, local_only):
    from live_servers import free_port

    rows = tmp_path / "rows.csv"
    rows.write_text("x\n1\n")
    result = _run("--csv", str(rows), "--target", f"127.0.0.1:{free_port()}", "--model", M)
    assert result.returncode == 1
    assert "Cannot read the model's signature" in result.stderr
