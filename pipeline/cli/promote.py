"""`python -m pipeline promote`: the canary becomes stable only when its traffic agrees.

    python -m pipeline promote --model taxi --config models.config --logs outputs/request_logs

Reads the `stable` and `canary` labels of MODEL in the model config file,
monitors both versions' logged requests (as `python -m pipeline monitor`), and
rewrites the file with `stable` on the canary's version and no `canary` label
only when the canary answered at least --min-requests logged requests, its
monitor result is clean, and its predictions are close to the stable
version's over the same period (pipeline.monitoring.promotion).

Exit 0: promoted; 3: refused, every reason printed, the file untouched;
2: bad input (a model not in the file, no canary or stable label, an
unreadable file, bad --logs or --since).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from pipeline import defaults
from pipeline.cli.monitor import add_traffic_arguments, quiet_reader_logs, read_traffic

PROMOTED, REFUSED, BAD_INPUT = 0, 3, 2


def add_parser(subparsers) -> None:
    """Register `promote`."""
    p = subparsers.add_parser(
        "promote",
        help="move the canary label to stable when the canary's logged traffic agrees",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_traffic_arguments(
        p,
        "the folder models are pushed to, when the file's base_path is not on this machine",
    )
    p.add_argument(
        "--config", type=Path, required=True, help="the model config file the servers read"
    )
    p.add_argument(
        "--min-requests",
        type=int,
        default=None,
        help="logged requests the canary must have answered "
        "(default: MonitorConfig.promotion_min_requests)",
    )
    p.set_defaults(func=_promote)


class _BadInput(ValueError):
    pass


def _labels(config_path: Path, model_name: str):
    """The config, the model's entry in it, and its (stable, canary) versions."""
    from serving import labels

    try:
        config = labels.read_config(config_path)
        model = labels.model_entry(config, model_name)
        canary = labels.labelled_version(model, labels.CANARY)
        stable = labels.labelled_version(model, labels.STABLE)
    except labels.LabelError as e:
        raise _BadInput(str(e)) from None
    if canary == stable:
        raise _BadInput(f"the canary and stable labels both name version {canary}")
    return config, model, stable, canary


def _serving_base(model, serving_dir: Path) -> Path:
    """Where the versions are on this machine: the file's base_path, unless it is the
    container's (a path mounted only there)."""
    base = Path(model.base_path)
    return base if base.is_dir() else serving_dir.resolve() / model.name


def _read_logs(args: argparse.Namespace, versions: tuple[str, str]):
    if args.min_requests is not None and args.min_requests < 1:
        raise _BadInput(f"--min-requests must be at least 1, got {args.min_requests}")
    try:
        logs, _ = read_traffic(args)
    except ValueError as e:
        raise _BadInput(str(e)) from None
    # Only the two labelled versions are judged: the others' eval predictions cost time.
    kept = {v: records for v, records in logs.records.items() if v in versions}
    return dataclasses.replace(logs, records=kept)


def _promote(args: argparse.Namespace) -> int:
    from pipeline.config import MonitorConfig
    from pipeline.monitoring import summary
    from pipeline.monitoring.check import monitor
    from pipeline.monitoring.promotion import decide
    from serving import labels
    from serving.config import write_model_config_file

    quiet_reader_logs()
    try:
        config, model, stable, canary = _labels(args.config, args.model)
        logs = _read_logs(args, (str(stable), str(canary)))
    except _BadInput as e:
        print(f"Input error: {e}", file=sys.stderr)
        return BAD_INPUT
    root = args.pipeline_root.resolve()
    result = monitor(
        args.model, logs, metadata_path=str(defaults.metadata_path(root)), pipeline_root=root,
        serving_base=_serving_base(model, args.serving_dir),
    )  # fmt: skip
    print("\n".join(summary.lines(result)))
    checks = {check.version: check for check in result.versions}
    ok, reasons = decide(
        checks.get(str(canary)), checks.get(str(stable)), MonitorConfig(),
        min_requests=args.min_requests,
    )  # fmt: skip
    if not ok:
        print(f"Promotion of version {canary} refused ({args.config} unchanged):")
        print("\n".join(f"  - {reason}" for reason in reasons))
        return REFUSED
    labels.promote_canary(model)
    write_model_config_file(config, args.config)
    print(
        f"Promoted: {args.model} version {canary} is stable (was {stable}); the canary label "
        f"is removed. Servers reading {args.config} switch at their next poll."
    )
    return PROMOTED
