"""The Beam runner flags shared by run_local.py and `python -m pipeline compile`.

`add_beam_arguments` registers them, `settings_from_args` turns them into
`pipeline.beam_args.BeamSettings`, and `check_endpoint` fails in seconds when
no Beam job service listens where a portable runner would send its job.
"""

from __future__ import annotations

import argparse
import socket

from pipeline.beam_args import (
    DIRECT_IN_MEMORY_MAX_ROWS,
    REFUSED_RUNNERS,
    RUNNERS,
    BeamArgsError,
    BeamSettings,
)


def check_endpoint(address: str, timeout: float = 5.0) -> None:
    """Fail in seconds, not after Beam's 60 s job-server timeout, when nothing listens."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise BeamArgsError(f"--job-endpoint must be HOST:PORT, got {address!r}.")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as e:
        raise BeamArgsError(
            f"No Beam job service answers at {address} ({e.strerror or e}). Start one "
            "(Flink/Spark job server, or python -m "
            "apache_beam.runners.portability.local_job_service_main --port PORT) first."
        ) from e


def add_beam_arguments(p: argparse.ArgumentParser, *, with_direct: bool = True) -> None:
    """The runner flags shared by run_local.py and `python -m pipeline compile`."""
    g = p.add_argument_group("Beam runner (what runs inside each component)")
    g.add_argument(
        "--beam-runner",
        choices=[*RUNNERS, *REFUSED_RUNNERS],
        default="direct",
        help="Beam runner for the data components (default: %(default)s; dask is refused)",
    )
    if with_direct:
        g.add_argument(
            "--direct-running-mode",
            choices=["in_memory", "multi_threading", "multi_processing"],
            default=None,
            help=f"DirectRunner mode (default: in_memory up to {DIRECT_IN_MEMORY_MAX_ROWS:,} "
            "rows, multi_processing above)",
        )
        g.add_argument(
            "--direct-num-workers",
            type=int,
            default=None,
            help="DirectRunner workers; 0 means one per CPU (default: 1 for small data, "
            "one per CPU above)",
        )
    g.add_argument(
        "--job-endpoint", metavar="HOST:PORT", help="Beam job service (portable/flink/spark)"
    )
    g.add_argument(
        "--job-server-jar", metavar="PATH", help="local Flink/Spark job-server jar (flink/spark)"
    )
    g.add_argument(
        "--worker-pool",
        metavar="HOST:PORT",
        help="running Beam worker pool with the project installed (portable/flink/spark)",
    )
    g.add_argument(
        "--worker-image",
        metavar="IMAGE",
        help="container image with the project installed (pipeline/container/Dockerfile) for "
        "portable/flink/spark/dataflow workers",
    )
    g.add_argument("--project", help="Google Cloud project (dataflow)")
    g.add_argument("--region", help="Google Cloud region (dataflow)")
    g.add_argument("--temp-location", metavar="GS_PATH", help="gs:// temp path (dataflow)")
    g.add_argument(
        "--beam-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra Beam pipeline option, repeatable, e.g. --beam-arg=--direct_num_workers=2",
    )


def settings_from_args(args: argparse.Namespace) -> BeamSettings:
    """BeamSettings from a namespace parsed with `add_beam_arguments`."""
    return BeamSettings(
        runner=args.beam_runner,
        direct_running_mode=getattr(args, "direct_running_mode", None),
        direct_num_workers=getattr(args, "direct_num_workers", None),
        job_endpoint=args.job_endpoint,
        job_server_jar=args.job_server_jar,
        worker_pool=args.worker_pool,
        worker_image=args.worker_image,
        project=args.project,
        region=args.region,
        temp_location=args.temp_location,
        extra=tuple(args.beam_arg),
    )
