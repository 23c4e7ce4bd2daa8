"""Write a model config that names pushed versions `stable` and `canary`.

    python -m serving.labels outputs/serving/taxi                      # newest = canary
    python -m serving.labels outputs/serving/taxi --stable 1795669611 --output models.config
    python -m serving.labels outputs/serving/taxi --base-path /models/taxi   # for the container

By default the newest pushed version is the canary and the one before it is
stable (the newest is both when only one exists). Both TensorFlow Serving and
`python -m serving` read the result with `--model_config_file`; they re-read
it every `--model_config_file_poll_wait_seconds`, so rewriting the file
promotes a version without a restart.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tensorflow_serving.config import model_server_config_pb2

from models import layout
from serving.config import write_model_config_file


def pushed_versions(base_directory: Path) -> list[int]:
    """Version numbers under `base_directory`, oldest first (TF Serving's rule: digits only)."""
    if not base_directory.is_dir():
        raise FileNotFoundError(f"{base_directory} is not a folder of pushed versions")
    return [int(name) for name in layout.version_names(base_directory)]


def labelled_config(
    name: str, base_path: str, stable: int, canary: int
) -> model_server_config_pb2.ModelServerConfig:
    """Serve exactly the stable and canary versions, under those labels."""
    config = model_server_config_pb2.ModelServerConfig()
    model = config.model_config_list.config.add(
        name=name, base_path=base_path, model_platform="tensorflow"
    )
    model.model_version_policy.specific.versions.extend(sorted({stable, canary}))
    model.version_labels["stable"] = stable
    model.version_labels["canary"] = canary
    return config


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("base_directory", type=Path, help="<serving-dir>/<model-name>")
    p.add_argument("--name", help="model name (default: the folder's name)")
    p.add_argument("--base-path", help="base path as the server sees it (default: the folder)")
    p.add_argument("--stable", type=int, help="stable version (default: the second newest)")
    p.add_argument("--canary", type=int, help="canary version (default: the newest)")
    p.add_argument("--output", type=Path, help="write here instead of standard output")
    args = p.parse_args(argv)

    try:
        versions = pushed_versions(args.base_directory)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not versions:
        print(f"error: no pushed versions under {args.base_directory}", file=sys.stderr)
        return 2
    canary = args.canary if args.canary is not None else versions[-1]
    stable = args.stable if args.stable is not None else versions[max(0, len(versions) - 2)]
    missing = [v for v in (stable, canary) if v not in versions]
    if missing:
        print(f"error: version(s) {missing} not found; pushed: {versions}", file=sys.stderr)
        return 2
    config = labelled_config(
        args.name or args.base_directory.name,
        args.base_path or str(args.base_directory.resolve()),
        stable,
        canary,
    )
    write_model_config_file(config, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
