"""`python -m pipeline monitor`: served traffic against the training data of the version that
answered.

    python -m pipeline monitor --model taxi --logs outputs/request_logs --since 2h

Exit 0: no finding; 3: skew, schema anomalies or a moved prediction
distribution (each named); 2: bad input (an unknown model, a bad --since).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from pipeline import defaults
from pipeline.cli.versions import quiet_tensorflow_logs

BAD_INPUT = 2
MONITOR_FOLDER = "monitor"


def add_traffic_arguments(p: argparse.ArgumentParser, serving_dir_help: str) -> None:
    """The model, its request logs and where its runs and versions are: what `monitor`
    and `promote` both read."""
    p.add_argument(
        "--model", default=defaults.MODEL_NAME, help="served model (default: %(default)s)"
    )
    p.add_argument("--logs", type=Path, required=True, help="the server's request-log prefix")
    p.add_argument(
        "--since",
        default=None,
        help="only requests answered since: an ISO 8601 time (UTC unless it says) or a "
        "duration back from now (30m, 2h, 1d)",
    )
    p.add_argument(
        "--pipeline-root",
        type=Path,
        default=defaults.PIPELINE_ROOT,
        help=f"the pipeline root holding {defaults.METADATA_FILE} (default: %(default)s)",
    )
    p.add_argument(
        "--serving-dir",
        type=Path,
        default=defaults.SERVING_DIR,
        help=serving_dir_help + " (default: %(default)s)",
    )


def quiet_reader_logs() -> None:
    """TensorFlow's start-up chatter off; opening a run builds TFX classes for the
    pipeline's own artifact types, and absl warns about each one: nothing to act on,
    and noise in a scheduler's log."""
    quiet_tensorflow_logs()
    logging.getLogger("absl").setLevel(logging.ERROR)


def read_traffic(args: argparse.Namespace):
    """(the logged requests of --model under --logs since --since, that time or None);
    ValueError with a one-line message on a bad --since or --logs."""
    from pipeline.monitoring import logs as L

    since = L.parse_since(args.since) if args.since else None
    if not args.logs.is_dir():
        raise ValueError(f"--logs {args.logs} is not a folder")
    return L.read_logs(args.logs, args.model, since), since


def add_parser(subparsers) -> None:
    """Register `monitor`."""
    p = subparsers.add_parser(
        "monitor",
        help="compare logged requests with the training data of the version that answered",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_traffic_arguments(p, "the folder models are pushed to")
    p.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"where monitor.json and index.html go (default: LOGS/MODEL/{MONITOR_FOLDER})",
    )
    p.set_defaults(func=_monitor)


def _known_versions(metadata_path: Path, base: Path) -> list[str]:
    from pipeline.metadata.versions import pushed_versions

    if not metadata_path.is_file():
        return []
    return [v.version for v in pushed_versions(str(metadata_path), str(base))]


def _monitor(args: argparse.Namespace) -> int:
    from pipeline.monitoring import logs as L
    from pipeline.monitoring import page, summary
    from pipeline.monitoring.check import monitor

    quiet_reader_logs()
    try:
        logs, since = read_traffic(args)
    except ValueError as e:
        print(f"Input error: {e}", file=sys.stderr)
        return BAD_INPUT
    root = args.pipeline_root.resolve()
    metadata_path = defaults.metadata_path(root)
    base = args.serving_dir.resolve() / args.model
    if not logs.files and not _known_versions(metadata_path, base):
        print(
            f"Unknown model {args.model!r}: no request logs under "
            f"{L.model_folder(args.logs, args.model)} and no pushed versions of it in "
            f"{metadata_path}.",
            file=sys.stderr,
        )
        return BAD_INPUT
    result = monitor(
        args.model, logs, metadata_path=str(metadata_path), pipeline_root=root, serving_base=base
    )
    output = args.output or L.model_folder(args.logs, args.model) / MONITOR_FOLDER
    summary.write_summary(
        output / summary.SUMMARY_FILE,
        summary.to_dict(result, since=since, logs_dir=str(args.logs)),
    )
    summary.write_atomically(output / summary.PAGE_FILE, page.render(result))
    print("\n".join(summary.lines(result)))
    print(f"Summary: {output / summary.SUMMARY_FILE}\nPage: {output / summary.PAGE_FILE}")
    return result.exit_code
