"""`python -m pipeline package sagemaker`: a pushed model version as SageMaker's
TensorFlow Serving container loads it.

    python -m pipeline package sagemaker --version 1700000000 --output model.tar.gz

The archive holds `<version>/saved_model.pb` (and variables/, assets/,
assets.extra/) at its root, and, unless --no-inference-code, `code/inference.py`
with `code/features.json` so the endpoint also takes raw rows as JSON or CSV.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline import defaults
from pipeline.packaging.sagemaker import (
    PackagingError,
    feature_types,
    package_sagemaker,
    version_dir,
)


def add_parser(subparsers) -> None:
    """Register `package sagemaker`."""
    package = subparsers.add_parser(
        "package",
        help="package a pushed model version for a serving platform",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    targets = package.add_subparsers(dest="target", required=True, metavar="TARGET")
    sm = targets.add_parser("sagemaker", help="model.tar.gz for SageMaker's TF Serving container")
    sm.add_argument("--version", required=True, help="pushed version number, or 'latest'")
    sm.add_argument("--output", type=Path, required=True, help="the .tar.gz to write")
    sm.add_argument(
        "--serving-dir", type=Path, default=defaults.SERVING_DIR, help="(default: %(default)s)"
    )
    sm.add_argument("--model-name", default=defaults.MODEL_NAME, help="(default: %(default)s)")
    sm.add_argument(
        "--no-inference-code",
        action="store_true",
        help="leave out code/inference.py (clients then send TF Serving's JSON themselves)",
    )
    sm.set_defaults(func=_run_sagemaker)


def _run_sagemaker(args: argparse.Namespace) -> int:
    try:
        path = version_dir(args.serving_dir, args.model_name, args.version)
    except PackagingError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    features = None if args.no_inference_code else feature_types(path)
    out = package_sagemaker(path, args.output, features=features)
    print(f"Wrote {out}: version {path.name} of {args.model_name}")
    return 0
