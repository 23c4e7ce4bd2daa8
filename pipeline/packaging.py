"""`python -m pipeline package sagemaker`: a pushed model version as SageMaker's
TensorFlow Serving container loads it.

    python -m pipeline package sagemaker --version 1700000000 --output model.tar.gz

The archive holds `<version>/saved_model.pb` (and variables/, assets/,
assets.extra/) at its root, and, unless --no-inference-code, `code/inference.py`
with `code/features.json` so the endpoint also takes raw trips as JSON or CSV.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tarfile
from pathlib import Path

INFERENCE_SOURCE = Path(__file__).with_name("sagemaker_inference.py")


class PackagingError(ValueError):
    """The requested version cannot be packaged; the message says why."""


def version_dir(serving_dir: Path, model_name: str, version: str) -> Path:
    """`<serving_dir>/<model_name>/<version>`, `latest` meaning the newest version."""
    base = serving_dir / model_name
    versions = sorted((p for p in base.glob("*") if p.name.isdigit()), key=lambda p: int(p.name))
    if version == "latest":
        if not versions:
            raise PackagingError(f"{base}: no pushed versions.")
        return versions[-1]
    if not version.isdigit():
        # TF Serving (and so SageMaker) only loads all-digit version directories.
        raise PackagingError(f"--version must be a number or 'latest', got {version!r}.")
    path = base / version
    if not (path / "saved_model.pb").is_file():
        found = ", ".join(p.name for p in versions) or "none"
        raise PackagingError(f"{path}: no saved_model.pb (pushed versions: {found}).")
    return path


def feature_types(schema_path: Path | None = None) -> dict[str, str]:
    """The serving signature's raw features and their types, from the curated schema."""
    from tensorflow_metadata.proto.v0 import schema_pb2

    from models import features as F
    from pipeline.inputs import load_schema
    from pipeline.runtime import packaged_schema

    kinds = {schema_pb2.INT: "int", schema_pb2.FLOAT: "float", schema_pb2.BYTES: "string"}
    types = {f.name: kinds[f.type] for f in load_schema(schema_path or packaged_schema()).feature}
    return {name: types[name] for name in F.raw_model_features()}


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(content))


def package_sagemaker(
    version_path: Path, output: Path, *, features: dict[str, str] | None = None
) -> Path:
    """Write `output` (.tar.gz); `features` adds code/inference.py and code/features.json."""
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.name}.tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        tar.add(version_path, arcname=version_path.name)
        if features is not None:
            _add_bytes(tar, "code/inference.py", INFERENCE_SOURCE.read_bytes())
            _add_bytes(tar, "code/features.json", json.dumps(features, indent=1).encode())
    os.replace(tmp, output)
    return output


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
        "--serving-dir", type=Path, default=Path("outputs/serving"), help="(default: %(default)s)"
    )
    sm.add_argument("--model-name", default="taxi", help="(default: %(default)s)")
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
    features = None if args.no_inference_code else feature_types()
    out = package_sagemaker(path, args.output, features=features)
    print(f"Wrote {out}: version {path.name} of {args.model_name}")
    return 0
