"""Send raw taxi rows to a served model and print the probability of a big tip.

    python -m serving.predict trips.csv                     # REST on 127.0.0.1:8501
    python -m serving.predict trips.json --grpc 127.0.0.1:8500
    python -m serving.predict trips.csv --limit 5 --model taxi --label stable

Works against TensorFlow Serving and against `python -m serving` alike.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models import layout
from models.features import OUTPUT_NAME
from models.keras_version import use_keras_2

DEFAULT_REST = "http://127.0.0.1:8501"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("rows", type=Path, help="a CSV file with a header, or a JSON list of objects")
    p.add_argument(
        "--model",
        default=layout.DEFAULT_MODEL_NAME,
        help="served model name (default: %(default)s)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--rest", default=None, help=f"REST base URL (default: {DEFAULT_REST})")
    where.add_argument("--grpc", default=None, metavar="HOST:PORT", help="use gRPC instead")
    version = p.add_mutually_exclusive_group()
    version.add_argument("--version", type=int, default=None, help="a specific model version")
    version.add_argument("--label", default=None, help="a version label, e.g. stable or canary")
    p.add_argument("--limit", type=int, default=None, help="send only the first N rows")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_keras_2()  # before anything imports TensorFlow

    from schemas import load_schema
    from serving.client import GrpcClient, RestClient, ServingError
    from serving.rows import read_rows, to_columns, to_instances

    try:
        rows = read_rows(args.rows)[: args.limit]
        schema = load_schema()
        instances = to_instances(rows, schema)
    except (OSError, ValueError) as e:
        print(f"Input error: {e}", file=sys.stderr)
        return 2
    if not instances:
        print(f"Input error: {args.rows} holds no rows", file=sys.stderr)
        return 2
    try:
        if args.grpc:
            with GrpcClient(args.grpc, args.model, timeout=args.timeout) as client:
                prediction = client.predict(
                    to_columns(instances, schema), version=args.version, label=args.label
                )
            probabilities = prediction.outputs[OUTPUT_NAME]
        else:
            with RestClient(args.rest or DEFAULT_REST, args.model, timeout=args.timeout) as client:
                probabilities = client.predict(
                    instances, version=args.version, label=args.label
                ).only()
    except ServingError as e:
        print(f"Server error {e.status}: {e.message}", file=sys.stderr)
        return 1
    except Exception as e:  # connection refused, timeouts after retries
        print(f"Cannot reach the server: {e}", file=sys.stderr)
        return 1
    print(f"row\t{OUTPUT_NAME}")
    for i, p in enumerate(probabilities.ravel().tolist(), start=1):
        print(f"{i}\t{p:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
