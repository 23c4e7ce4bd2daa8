"""Replay the rows of a CSV file to a served model, at a bounded rate, for tests and demos.

    python -m serving.replay --csv rows.csv --target 127.0.0.1:8501 --model taxi
    python -m serving.replay --csv drifted.csv --target 127.0.0.1:8500 --grpc --rate 20
    python -m serving.replay --csv rows.csv --target localhost:8501 --max-rows 500 --batch 10
    python -m serving.replay --csv rows.csv --target 127.0.0.1:8501 --label canary

Each request carries one row (or `--batch` rows), typed by the model's
`serving_default` signature as `python -m serving.predict` types them. At most
`--rate` requests a second are sent, until the rows, `--max-rows` or
`--duration` run out. Only a server on this machine is accepted (127.0.0.0/8,
::1 or localhost): replaying is load, and load goes nowhere else.
"""

from __future__ import annotations

import argparse
import dataclasses
import ipaddress
import sys
import time
from collections.abc import Callable
from pathlib import Path

from models import layout
from models.keras_version import use_keras_2
from serving.rows import add_missing_values_argument, missing_tokens


class TargetError(ValueError):
    """The target is malformed or not on this machine."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m serving.replay",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--csv", type=Path, required=True, help="rows to send, with a header")
    p.add_argument(
        "--target", required=True, metavar="HOST:PORT", help="the server (REST port, or gRPC's)"
    )
    p.add_argument("--model", default=layout.DEFAULT_MODEL_NAME, help="default: %(default)s")
    p.add_argument(
        "--label", default=None, help="send to this version label (stable, canary); default: "
        "the version the server serves by default"
    )  # fmt: skip
    p.add_argument("--grpc", action="store_true", help="the target is a gRPC port")
    p.add_argument("--rate", type=float, default=10.0, help="requests per second at most")
    p.add_argument("--duration", type=float, default=60.0, help="seconds at most")
    p.add_argument("--max-rows", type=int, default=None, help="rows at most (default: all)")
    p.add_argument("--batch", type=int, default=1, help="rows per request (default 1)")
    add_missing_values_argument(p)
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    args = p.parse_args(argv)
    for name in ("rate", "duration", "batch"):
        if getattr(args, name) <= 0:
            p.error(f"--{name.replace('_', '-')} must be positive")
    if args.max_rows is not None and args.max_rows < 1:
        p.error("--max-rows must be at least 1")
    return args


def loopback_target(target: str) -> tuple[str, int]:
    """(host, port) of `target`; TargetError unless the host is this machine's loopback.

    The name "localhost" is taken as loopback without resolving it; any other
    name is refused, since what it resolves to can change.
    """
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise TargetError(f"--target {target!r} is not HOST:PORT")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if host.lower() != "localhost":
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        if address is None or not address.is_loopback:
            raise TargetError(
                f"--target {target!r} is not on this machine: replay sends only to a "
                "loopback address (127.0.0.0/8, ::1 or localhost)"
            )
    return host, int(port)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclasses.dataclass
class Tally:
    """What was sent: requests and rows, and the requests that failed (with the first error)."""

    requests: int = 0
    rows: int = 0
    failed: int = 0
    first_error: str = ""

    def failure(self, error: Exception) -> None:
        self.failed += 1
        self.first_error = self.first_error or str(error)


def replay(
    send: Callable[[list[dict]], object],
    instances: list[dict],
    *,
    rate: float,
    duration: float,
    batch: int,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Tally:
    """Send `instances` in batches, request k no earlier than k / `rate` s after the start,
    none after `duration` s."""
    tally = Tally()
    start = clock()
    for k, first in enumerate(range(0, len(instances), batch)):
        due = start + k / rate
        if due - start >= duration:
            break
        wait = due - clock()
        if wait > 0:
            sleep(wait)
        if clock() - start >= duration:
            break
        chunk = instances[first : first + batch]
        tally.requests += 1
        tally.rows += len(chunk)
        try:
            send(chunk)
        except Exception as e:  # a failed request is counted; the replay goes on
            tally.failure(e)
    return tally


def _sender(args: argparse.Namespace, host: str, port: int):
    """(client, send(rows, inputs)) for the target's protocol; no retries, so a failure counts."""
    from serving.client import GrpcClient, RestClient
    from serving.rows import to_columns

    address = f"{_url_host(host)}:{port}"
    if args.grpc:
        client = GrpcClient(address, args.model, timeout=args.timeout, retries=0)
        return client, lambda chunk, inputs: client.predict(
            to_columns(chunk, inputs), label=args.label
        )
    client = RestClient(f"http://{address}", args.model, timeout=args.timeout, retries=0)
    return client, lambda chunk, inputs: client.predict(chunk, label=args.label)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        host, port = loopback_target(args.target)
    except TargetError as e:
        print(f"Refused: {e}", file=sys.stderr)
        return 2
    use_keras_2()  # before anything imports TensorFlow

    from serving.rows import RowsError, read_some_rows, signature_inputs, to_instances

    try:
        rows = read_some_rows(args.csv, args.max_rows)
    except RowsError as e:
        print(f"Input error: {e}", file=sys.stderr)
        return 2
    client, send = _sender(args, host, port)
    with client:
        try:
            inputs = signature_inputs(client.metadata(label=args.label))
            instances = to_instances(rows, inputs, missing_tokens(args.missing_values))
        except ValueError as e:
            print(f"Input error: {e}", file=sys.stderr)
            return 2
        except Exception as e:  # connection refused, the model not served
            print(f"Cannot read the model's signature from {args.target}: {e}", file=sys.stderr)
            return 1
        started = time.monotonic()
        tally = replay(
            lambda chunk: send(chunk, inputs),
            instances,
            rate=args.rate,
            duration=args.duration,
            batch=args.batch,
        )
    seconds = time.monotonic() - started
    print(
        f"Sent {tally.requests} requests ({tally.rows} rows) to {args.model} at {args.target} "
        f"in {seconds:.1f} s: {tally.requests - tally.failed} answered, {tally.failed} failed."
    )
    if tally.failed:
        print(f"First failure: {tally.first_error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
