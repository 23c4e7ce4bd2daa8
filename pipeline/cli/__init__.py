"""`python -m pipeline COMMAND ...`: one entry point, one module per command.

Each module in COMMANDS has `add_parser(subparsers)`, which registers its
subcommand and sets `func(args) -> exit code`; adding a command is one line.
"""

from __future__ import annotations

import argparse
import importlib

from models.keras_version import use_keras_2

COMMANDS = (
    "pipeline.cli.init",  # init (a new dataset from CSV files)
    "pipeline.cli.run",  # run (what run_local.py runs)
    "pipeline.cli.versions",  # versions | rollback
    "pipeline.cli.lineage",  # lineage | explain
    "pipeline.cli.schema",  # schema update
    "pipeline.cli.compile",  # compile kubeflow-v2 | airflow
    "pipeline.cli.run_node",  # run-node (one task of a compiled pipeline)
    "pipeline.cli.package",  # package sagemaker
    "pipeline.cli.monitor",  # monitor (served traffic against training)
    "pipeline.cli.promote",  # promote (the canary label to stable, gated by its traffic)
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command's subparser registered."""
    p = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.splitlines()[0])
    subparsers = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).add_parser(subparsers)
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse `argv` and run the chosen command."""
    # Before any command imports TensorFlow.
    use_keras_2()
    args = build_parser().parse_args(argv)
    return args.func(args)
