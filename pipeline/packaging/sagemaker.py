"""A pushed model version as SageMaker's TensorFlow Serving container loads it.

`python -m pipeline package sagemaker` is the command. The archive holds
`<version>/saved_model.pb` (and variables/, assets/, assets.extra/) at its
root, and, unless --no-inference-code, `code/inference.py` with
`code/features.json` so the endpoint also takes raw rows as JSON or CSV.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

from models import layout

INFERENCE_SOURCE = Path(__file__).with_name("sagemaker_inference.py")


class PackagingError(ValueError):
    """The requested version cannot be packaged; the message says why."""


def version_dir(serving_dir: Path, model_name: str, version: str) -> Path:
    """`<serving_dir>/<model_name>/<version>`, `latest` meaning the newest version."""
    base = serving_dir / model_name
    versions = layout.version_names(base)
    if version == "latest":
        if not versions:
            raise PackagingError(f"{base}: no pushed versions.")
        return base / versions[-1]
    if not layout.is_version(version):
        # TF Serving (and so SageMaker) only loads all-digit version directories.
        raise PackagingError(f"--version must be a number or 'latest', got {version!r}.")
    path = base / version
    if not (path / layout.SAVED_MODEL_FILE).is_file():
        found = ", ".join(versions) or "none"
        raise PackagingError(f"{path}: no saved_model.pb (pushed versions: {found}).")
    return path


def feature_types(version_path: Path) -> dict[str, str]:
    """The raw features the version's serving signature takes, and their types."""
    import tensorflow as tf

    from models.signatures import signature_inputs

    kinds = {tf.int64: "int", tf.float32: "float", tf.string: "string"}
    return {name: kinds[dtype] for name, dtype in signature_inputs(str(version_path)).items()}


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
