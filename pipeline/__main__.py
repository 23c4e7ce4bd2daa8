"""`python -m pipeline COMMAND ...`: one entry point, one module per command.

Each module in COMMANDS has `add_parser(subparsers)`, which registers its
subcommand and sets `func(args) -> exit code`; adding a command is one line.
"""

from __future__ import annotations

import argparse
import importlib
import os

COMMANDS = (
    "pipeline.versions_cmd",  # versions | rollback
    "pipeline.lineage_cmd",  # lineage | explain
    "pipeline.schema_cmd",  # schema update
    "pipeline.compile",  # compile kubeflow-v2 | airflow
    "pipeline.packaging",  # package sagemaker
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
    # Keras 2 (tf-keras), as in run_local.py: before any command imports TensorFlow.
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    from pipeline.runtime import exit_without_final_collection

    exit_without_final_collection(main())
