"""`python -m pipeline versions` and `python -m pipeline rollback VERSION`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pipeline import defaults

METRICS = (
    ("auc", "AUC"),
    ("binary_accuracy", "accuracy"),
    ("sparse_categorical_accuracy", "accuracy"),
    ("root_mean_squared_error", "RMSE"),
    ("mean_absolute_error", "MAE"),
)


def add_location_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pipeline-root",
        type=Path,
        default=defaults.PIPELINE_ROOT,
        help=f"the run_local.py pipeline root holding {defaults.METADATA_FILE} "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--serving-dir",
        type=Path,
        default=defaults.SERVING_DIR,
        help="the folder models are pushed to (default: %(default)s)",
    )
    p.add_argument(
        "--model-name", default=defaults.MODEL_NAME, help="served model name (default: %(default)s)"
    )


def add_parser(subparsers) -> None:
    """Register `versions` and `rollback`."""
    listing = subparsers.add_parser(
        "versions", help="list pushed versions with their metrics and lineage"
    )
    add_location_flags(listing)
    listing.set_defaults(func=_list)

    back = subparsers.add_parser(
        "rollback", help="serve an earlier pushed version again (as a new, highest version)"
    )
    back.add_argument("version", help="the pushed version to serve again")
    back.add_argument(
        "--config",
        type=Path,
        help="a labelled model config file: move its 'stable' label back to VERSION "
        "(which the file must still serve) instead of copying VERSION",
    )
    add_location_flags(back)
    back.set_defaults(func=_rollback)


def base_directory(args: argparse.Namespace) -> str:
    return str(args.serving_dir.resolve() / args.model_name)


def metadata_path(args: argparse.Namespace) -> str:
    return str(defaults.metadata_path(args.pipeline_root.resolve()))


def quiet_tensorflow_logs() -> None:
    # TFMA's loaders log deprecation warnings through TensorFlow's logger.
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def _status(version: str, on_disk: list[str]) -> str:
    if on_disk and version == on_disk[-1]:
        return "serving"
    return "on disk" if version in on_disk else "deleted"


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipeline.metadata import versions

    quiet_tensorflow_logs()
    console = Console(highlight=False, soft_wrap=True)
    base = base_directory(args)
    pushed = {v.version: v for v in versions.pushed_versions(metadata_path(args), base)}
    on_disk = versions.versions_on_disk(base)
    console.print(f"Versions of {base} (newest last):")
    if not pushed and not on_disk:
        console.print("  none yet: run the pipeline to push one.")
    for version in sorted(set(pushed) | set(on_disk), key=int):
        status = _status(version, on_disk)
        source = versions.rolled_back_from(base, version) if version in on_disk else None
        info = pushed.get(source or version)
        if source:
            status += f", a rollback to {source}"
        metrics = "  ".join(
            f"{name} {info.metrics[key]:.4f}"
            for key, name in METRICS
            if info and key in info.metrics
        )
        style = "bold green" if status.startswith("serving") else "bold"
        console.print(f"  [{style}]{version}[/]  {status}  {metrics}")
        if info is None:
            console.print("      not recorded in ML Metadata (pushed by another pipeline root?)")
            continue
        console.print(f"      pushed {info.pushed_at:%Y-%m-%d %H:%M:%S} by run {info.run_id}")
        console.print(f"      code {info.code or '-'}  seed {info.seed}")
        console.print(f"      data {info.data}")
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipeline.runners.rollback import RollbackError, relabel_stable, rollback

    quiet_tensorflow_logs()
    console = Console(highlight=False, soft_wrap=True)
    if args.config:
        try:
            left = relabel_stable(
                metadata_path(args), base_directory(args), str(args.config), args.model_name,
                args.version,
            )  # fmt: skip
        except (RollbackError, FileNotFoundError) as e:
            console.print(f"[bold red]Rollback refused:[/] {e}")
            return 1
        console.print(
            f"Version {args.version} is stable again in {args.config} (was {left}); servers "
            "reading it switch at their next poll."
        )
        return 0
    try:
        new = rollback(metadata_path(args), base_directory(args), args.version)
    except (RollbackError, FileNotFoundError) as e:
        console.print(f"[bold red]Rollback refused:[/] {e}")
        return 1
    console.print(
        f"Version {args.version} is served again as version {new} ({base_directory(args)}/{new}); "
        "servers on the 'latest' policy switch to it at their next poll."
    )
    return 0
