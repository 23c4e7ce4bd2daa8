"""Send raw rows to any served model and print what it predicts.

    python -m serving.predict rows.csv --model taxi         # REST on 127.0.0.1:8501
    python -m serving.predict rows.json --model penguins --grpc 127.0.0.1:8500
    python -m serving.predict penguins.csv --model penguins --missing-values NA
    python -m serving.predict rows.csv --limit 5 --model taxi --label stable

The model's inputs and their types are read from the server (its
`serving_default` signature), so the rows only need the columns by name.
Works against TensorFlow Serving and against `python -m serving` alike.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from models import layout
from models.features import CLASSES_KEY
from models.keras_version import use_keras_2
from serving.rows import add_missing_values_argument, missing_tokens

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
    add_missing_values_argument(p)
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    return p.parse_args(argv)


def _client(args: argparse.Namespace):
    from serving.client import GrpcClient, RestClient

    if args.grpc:
        return GrpcClient(args.grpc, args.model, timeout=args.timeout)
    return RestClient(args.rest or DEFAULT_REST, args.model, timeout=args.timeout)


def _predict(client, instances, inputs, output_names, args) -> dict[str, np.ndarray]:
    from serving.client import GrpcClient
    from serving.rows import to_columns

    if isinstance(client, GrpcClient):
        return client.predict(
            to_columns(instances, inputs), version=args.version, label=args.label
        ).outputs
    outputs = client.predict(instances, version=args.version, label=args.label).outputs
    if set(outputs) == {"predictions"} and len(output_names) == 1:
        # REST's row format answers a one-output signature without its name.
        return {output_names[0]: outputs["predictions"]}
    return outputs


def print_table(outputs: dict[str, np.ndarray]) -> None:
    """One line per row: each output; for class probabilities, the most likely class first."""
    classes = outputs.get(CLASSES_KEY)
    shown = sorted(n for n in outputs if n != CLASSES_KEY)
    print("\t".join(["row", *(["class"] if classes is not None else []), *shown]))
    count = len(next(iter(outputs.values())))
    for i in range(count):
        cells = [str(i + 1)]
        for name in shown:
            value = np.asarray(outputs[name][i])
            if classes is not None and value.ndim == 1:
                best = int(np.argmax(value))
                label = np.asarray(classes[i])[best]
                cells.append(label.decode() if isinstance(label, bytes) else str(label))
                cells.append(" ".join(f"{v:.4f}" for v in value))
            else:
                cells.append(f"{float(value.reshape(-1)[0]):.4f}")
        print("\t".join(cells))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_keras_2()  # before anything imports TensorFlow

    from serving.client import ServingError
    from serving.rows import (
        RowsError,
        read_some_rows,
        signature_def,
        signature_inputs,
        to_instances,
    )

    try:
        rows = read_some_rows(args.rows, args.limit)
    except RowsError as e:
        print(f"Input error: {e}", file=sys.stderr)
        return 2
    try:
        with _client(args) as client:
            metadata = client.metadata(version=args.version)
            inputs = signature_inputs(metadata)
            output_names = sorted(signature_def(metadata).get("outputs", {}))
            instances = to_instances(rows, inputs, missing_tokens(args.missing_values))
            outputs = _predict(client, instances, inputs, output_names, args)
    except ServingError as e:
        print(f"Server error {e.status}: {e.message}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"Input error: {e}", file=sys.stderr)
        return 2
    except Exception as e:  # connection refused, timeouts after retries
        print(f"Cannot reach the server: {e}", file=sys.stderr)
        return 1
    print_table(outputs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
