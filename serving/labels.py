"""Write a model config that names pushed versions `stable` and `canary`.

    python -m serving.labels outputs/serving/taxi                      # newest = canary
    python -m serving.labels outputs/serving/taxi --stable 1795669611 --output models.config
    python -m serving.labels outputs/serving/taxi --base-path /models/taxi   # for the container
    python -m serving.labels outputs/serving/taxi --request-log-prefix outputs/request_logs \
        --output models.config                       # python -m serving, requests logged

By default the newest pushed version is the canary and the one before it is
stable (the newest is both when only one exists). Both TensorFlow Serving and
`python -m serving` read the result with `--model_config_file`; they re-read
it every `--model_config_file_poll_wait_seconds`, so rewriting the file
promotes a version without a restart (`python -m pipeline promote` does, once
the canary's traffic agrees; `python -m pipeline rollback V --config FILE`
moves `stable` back).

TF Serving assigns a label only to a version that is loaded (AVAILABLE), so a
relabelling here never names a version the file's policy does not serve.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from google.protobuf import text_format
from tensorflow_serving.config import model_server_config_pb2

from models import layout
from serving.config import (
    add_request_logging,
    policy_from_proto,
    write_model_config_file,
)
from serving.options import sampling_rate_error

STABLE, CANARY = "stable", "canary"


class LabelError(ValueError):
    """The model config cannot be read or relabelled as asked; the message says why."""


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


def read_config(path: str | Path) -> model_server_config_pb2.ModelServerConfig:
    """A model config file parsed with TF Serving's own message; LabelError if it cannot be."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        return text_format.Parse(text, model_server_config_pb2.ModelServerConfig())
    except (OSError, UnicodeDecodeError, text_format.ParseError) as e:
        raise LabelError(f"cannot read the model config file {path}: {e}") from None


def model_entry(config: model_server_config_pb2.ModelServerConfig, name: str):
    """The `ModelConfig` of model `name` in `config` (edited in place by the functions here)."""
    models = config.model_config_list.config
    for model in models:
        if model.name == name:
            return model
    listed = ", ".join(m.name for m in models) or "none"
    raise LabelError(f"model {name!r} is not in the model config (models: {listed})")


def labelled_version(model, label: str) -> int:
    """The version `label` names in `model`'s config; LabelError without one."""
    if label not in model.version_labels:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(model.version_labels.items()))
        raise LabelError(
            f"model {model.name!r} has no {label!r} label (labels: {labels or 'none'})"
        )
    return model.version_labels[label]


def promote_canary(model) -> tuple[int, int]:
    """`stable` moves to the canary's version and `canary` is removed; (old, new) stable.

    The label is removed rather than left on the promoted version: TF Serving
    allows either, but a `canary` that names the stable version would have the
    next monitor compare that version with itself, and a client still asking
    for the canary gets TF Serving's "Unrecognized servable version label"
    instead of being answered by a version it did not ask for. The version
    policy is left as it is, so the old stable version stays loaded and
    moving `stable` back to it (a rollback) is valid for TF Serving at once.
    """
    canary = labelled_version(model, CANARY)
    old = model.version_labels.get(STABLE)
    model.version_labels[STABLE] = canary
    del model.version_labels[CANARY]
    return old, canary


def loaded_versions(model, on_disk: list[int]) -> set[int]:
    """The versions `model`'s policy serves out of those on disk: the ones a label may name."""
    return policy_from_proto(model.model_version_policy).select(on_disk)


def move_label(model, label: str, version: int, on_disk: list[int]) -> int | None:
    """Point `label` at `version`, which the model's policy must serve; the label's old version."""
    loaded = loaded_versions(model, on_disk)
    if version not in loaded:
        served = ", ".join(str(v) for v in sorted(loaded)) or "none"
        raise LabelError(
            f"version {version} is not among the versions the config serves for {model.name!r} "
            f"({served}); TF Serving labels only loaded versions"
        )
    old = model.version_labels.get(label)
    model.version_labels[label] = version
    return old


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
    p.add_argument(
        "--request-log-prefix",
        help="log the model's requests under this folder (python -m serving only)",
    )
    p.add_argument(
        "--request-log-sampling-rate",
        type=float,
        default=1.0,
        help="fraction of requests logged, in [0, 1] (default 1)",
    )
    args = p.parse_args(argv)
    error = sampling_rate_error(args.request_log_sampling_rate, "--request-log-sampling-rate")
    if error:
        p.error(error)

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
    if args.request_log_prefix:
        prefix = str(Path(args.request_log_prefix).resolve())
        add_request_logging(
            config.model_config_list.config[0], prefix, args.request_log_sampling_rate
        )
    write_model_config_file(config, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
