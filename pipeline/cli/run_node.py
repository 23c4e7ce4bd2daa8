"""`python -m pipeline run-node --ir FILE --node ID --run-id RUN`: one node of a compiled
pipeline, in this process; what each task of the Airflow DAG runs.

    python -m pipeline run-node --ir dags/taxi_dag.ir.pb --node CsvExampleGen \\
        --run-id manual__2026-01-01T00:00:00 [--data-root /shared/new-data] \\
        [--allow-anomalies payment_type]

Every task of one run gives the same --run-id (TFX's pipeline run id): a node
reads its inputs from its upstream nodes' outputs in that run. Exit codes:
0 ran or reused a cached execution, 1 failed, 2 bad input (the IR, the code
installed, the data), 3 the data gate refused the data.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from rich.console import Console


def add_parser(subparsers) -> None:
    """Register `run-node`."""
    p = subparsers.add_parser(
        "run-node",
        help="run one node of a compiled pipeline (an orchestrator's task)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--ir", type=Path, required=True, help="the compiled pipeline (.ir.pb)")
    p.add_argument("--node", required=True, metavar="ID", help="the node id, e.g. Trainer")
    p.add_argument(
        "--run-id", required=True, help="the pipeline run id every task of one run shares"
    )
    p.add_argument(
        "--data-root",
        default=None,
        metavar="FOLDER",
        help="read this folder of CSV files in this run (default: the compiled one)",
    )
    p.add_argument(
        "--allow-anomalies",
        default="",
        metavar="FEATURES",
        help="the data gate accepts its findings on these comma-separated features in this "
        "run, after you reviewed them ('*': every finding)",
    )
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from absl import logging as absl_logging

    from pipeline.runners.node import ShortRecords, run_node_and_report

    # The orchestrator keeps the task's output as its log: TFX's INFO lines belong
    # there, without the protos its launcher dumps (thousands of lines per task).
    absl_logging.set_verbosity(absl_logging.INFO)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(ShortRecords())

    return run_node_and_report(
        args.ir.resolve(),
        args.node,
        run_id=args.run_id,
        data_root=str(Path(args.data_root).resolve()) if args.data_root else None,
        allow=args.allow_anomalies,
        # Unwrapped lines: the orchestrator's log prefixes every line it keeps.
        console=Console(soft_wrap=True),
    )
