"""`python -m pipeline run` (and run_local.py): run the pipeline on this machine.

TFX LocalDagRunner (or BeamDagRunner), Beam's DirectRunner, ML Metadata in
SQLite; ends with a blessed model pushed for TensorFlow Serving.

    python run_local.py                      # the taxi sample shipped with tfx
    python run_local.py --dataset penguins   # another bundled dataset
    python run_local.py --dataset my/dataset.toml --data-root DIR   # your own CSV files

Flags become a typed `PipelineConfig` here; the data is checked against the
schema before anything runs, and `pipeline.runners.local` runs and reports.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
from pathlib import Path

from models.dataset import NAME_PATTERN
from models.keras_version import use_keras_2
from pipeline import defaults
from pipeline.beam_args import BeamArgsError
from pipeline.beam_args import beam_args as compute_beam_args
from pipeline.runners import beam_flags
from pipeline.runners.local import EXIT_BAD_INPUT, EXIT_BUSY


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="run_local.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_arguments(p)
    return checked(p, p.parse_args(argv))


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """Every flag of a local run."""
    p.add_argument(
        "--dataset",
        default=None,
        metavar="NAME|FILE",
        help="a bundled dataset (schemas/NAME/dataset.toml) or the path of a dataset file "
        "(python -m pipeline init writes one) (default: taxi)",
    )
    p.add_argument(
        "--data-root",
        type=Path,
        default=None,
        help="folder of CSV files (default: the dataset file's data folder)",
    )
    p.add_argument(
        "--schema",
        type=Path,
        default=None,
        help="curated schema to validate against (default: the one beside the dataset file)",
    )
    p.add_argument(
        "--pipeline-root",
        type=Path,
        default=defaults.PIPELINE_ROOT,
        help=f"artifacts, ML Metadata ({defaults.METADATA_FILE}) and logs (default: %(default)s)",
    )
    p.add_argument(
        "--serving-dir",
        type=Path,
        default=defaults.SERVING_DIR,
        help="models are pushed to SERVING_DIR/MODEL_NAME/VERSION (default: %(default)s)",
    )
    p.add_argument(
        "--model-name",
        default=None,
        help="name of the served model (default: the dataset's model_name, else its name)",
    )
    p.add_argument(
        "--pipeline-name",
        default=None,
        help="pipeline name in ML Metadata (default: the dataset's name)",
    )
    p.add_argument(
        "--train-steps",
        type=int,
        default=defaults.TRAIN_STEPS,
        help="maximum training steps; early stopping may end sooner (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=defaults.SEED,
        help="training random seed (default: %(default)s)",
    )
    add_tuning_arguments(p)
    p.add_argument(
        "--fairness-blocking",
        action="store_true",
        help="a fairness gap over its limit keeps the model from being blessed and pushed "
        "(default: reported only)",
    )
    p.add_argument(
        "--max-fpr-gap",
        type=float,
        default=None,
        metavar="GAP",
        help="largest allowed false positive rate gap between slices (default: the dataset "
        "file's, else 0.5)",
    )
    p.add_argument(
        "--max-fnr-gap",
        type=float,
        default=None,
        metavar="GAP",
        help="largest allowed false negative rate gap between slices (default: the dataset "
        "file's, else 0.5)",
    )
    p.add_argument(
        "--fairness-min-examples",
        type=int,
        default=None,
        metavar="N",
        help="slices with fewer eval examples are left out of the gaps (default: the dataset "
        "file's, else 100)",
    )
    p.add_argument(
        "--fairness-slice",
        action="append",
        default=[],
        metavar="FEATURE",
        help="another raw feature whose slices the fairness check compares, besides the "
        "dataset's fairness features (repeatable)",
    )
    p.add_argument(
        "--orchestrator",
        choices=["local", "beam"],
        default="local",
        help="what runs the DAG: TFX's LocalDagRunner, or its BeamDagRunner on Beam's "
        "local runner (default: %(default)s)",
    )
    p.add_argument(
        "--allow-anomalies",
        nargs="?",
        const="*",
        default="",
        metavar="FEATURES",
        help="accept the data gate's findings on these comma-separated features after you "
        "reviewed them (alone: accept every finding once); see README 'Updating the schema'",
    )
    p.add_argument(
        "--no-cache",
        action="store_true",
        help="rerun every component instead of reusing cached outputs",
    )
    p.add_argument(
        "--verbose", action="store_true", help="show TensorFlow, Beam and absl logs in the terminal"
    )
    p.add_argument(
        "--report-only",
        action="store_true",
        help="only rewrite the HTML report of the newest run in --pipeline-root and print its path",
    )
    beam_flags.add_beam_arguments(p)


def checked(p: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """`args`, or a usage error (exit 2, one line) for values no run can use.

    Every flag is checked here, before anything is imported or written, so a
    mistake costs a second and never a half-started run.
    """
    problem = flag_problem(args)
    if problem:
        p.error(problem)
    return args


def flag_problem(args: argparse.Namespace) -> str | None:
    """The first flag value no run can use, described in one line; None if all are fine."""
    for flag, value in (("--model-name", args.model_name), ("--pipeline-name", args.pipeline_name)):
        if value is not None and not re.fullmatch(NAME_PATTERN, value):
            return (
                f"{flag} {value!r}: use lowercase letters, digits, '-' and '_', starting with a "
                "letter (it names a folder and an ML Metadata context)"
            )
    problem = count_problem(args)
    if problem:
        return problem
    for flag, path in (
        ("--pipeline-root", args.pipeline_root),
        ("--serving-dir", args.serving_dir),
    ):
        problem = _folder_problem(flag, path)
        if problem:
            return problem
    if args.schema is not None and not args.schema.exists():
        return f"--schema {args.schema} does not exist"
    if args.schema is not None and not args.schema.is_file():
        return f"--schema {args.schema} is not a file; give a schema.pbtxt"
    return None


def _allow_problem(allowed: str, schema, columns: tuple[str, ...]) -> str | None:
    """A name in --allow-anomalies that is neither a schema column nor a data column."""
    from pipeline.config import unknown_allowed

    return unknown_allowed(allowed, [f.name for f in schema.feature] + [c for c in columns if c])


def _push_problem(serving_dir: Path, model_name: str) -> str | None:
    """Why a model could not be pushed to SERVING_DIR/MODEL_NAME, found before training."""
    base = serving_dir / model_name
    if base.exists() and not base.is_dir():
        return f"--serving-dir: {base} is a file; a model is pushed into a folder of that name"
    return None


def _folder_problem(flag: str, path: Path) -> str | None:
    """Why `path` cannot be (or become) a writable folder, or None."""
    existing = path
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        where = "" if existing == path else f" ({existing} is a file)"
        return f"{flag} {path} must be a folder, but it is a file{where}"
    if existing.exists() and not os.access(existing, os.W_OK | os.X_OK):
        return f"{flag} {path}: {existing} is not writable"
    return None


def main(argv: list[str] | None = None) -> int:
    """run_local.py: parse the flags, then run."""
    return run(parse_args(argv))


def run(args: argparse.Namespace) -> int:
    """Check the data, build the config, run the pipeline and report; an exit code."""
    # Before anything imports TensorFlow: heavy imports happen below this line.
    use_keras_2()

    from rich.console import Console

    from models.dataset import DatasetError
    from pipeline.inputs import DataError, check_data_root
    from pipeline.runners import process
    from pipeline.runners.configs import load_dataset
    from schemas import DEFAULT_DATASET

    console = Console(highlight=False, soft_wrap=True)
    if args.report_only:
        from pipeline.runners.local import report_only

        return report_only(
            args.pipeline_root.resolve(),
            pipeline_name=args.pipeline_name or args.dataset,
            console=console,
            verbose=args.verbose,
        )
    try:
        dataset = load_dataset(args.dataset or DEFAULT_DATASET, args.schema)
    except DatasetError as e:
        console.print(f"[bold red]Dataset error:[/] {e}")
        console.print("Nothing was trained or pushed.")
        return EXIT_BAD_INPUT
    data_root = args.data_root or dataset.data_root
    if data_root is None:
        console.print(
            f"[bold red]Input error:[/] {dataset.file} names no data folder: give --data-root."
        )
        console.print("Nothing was trained or pushed.")
        return EXIT_BAD_INPUT
    try:
        data = check_data_root(
            data_root, dataset.schema, dataset.spec.missing_values, dataset.spec.file_pattern
        )
    except (DataError, OSError) as e:
        console.print(f"[bold red]Input error:[/] {e}")
        console.print("Nothing was trained or pushed.")
        return EXIT_BAD_INPUT
    problem = _allow_problem(args.allow_anomalies, dataset.schema, data.columns) or _push_problem(
        args.serving_dir, args.model_name or dataset.spec.served_name
    )
    if problem:
        console.print(f"[bold red]Input error:[/] {problem}")
        console.print("Nothing was trained or pushed.")
        return EXIT_BAD_INPUT
    try:
        settings = beam_flags.settings_from_args(args)
        beam_args = compute_beam_args(settings, rows=data.rows, cpus=os.cpu_count())
        if settings.job_endpoint:
            beam_flags.check_endpoint(settings.job_endpoint)
    except BeamArgsError as e:
        console.print(f"[bold red]Beam runner error:[/] {e}")
        console.print("Nothing was trained or pushed.")
        return EXIT_BAD_INPUT

    pipeline_root = args.pipeline_root.resolve()
    try:
        with process.exclusive_root(pipeline_root):
            return _run(args, console, dataset, data_root, pipeline_root, data, beam_args)
    except process.RootBusy as e:
        console.print(f"[bold red]Busy:[/] {e}")
        return EXIT_BUSY


def _fairness(args: argparse.Namespace, spec):
    """The dataset's fairness settings, with the flags given on top."""
    from pipeline.config import FairnessConfig

    given = {
        "max_false_positive_rate_gap": args.max_fpr_gap,
        "max_false_negative_rate_gap": args.max_fnr_gap,
        "min_slice_examples": args.fairness_min_examples,
    }
    return FairnessConfig.from_dataset(
        spec,
        blocking=args.fairness_blocking,
        extra_slice_features=tuple(args.fairness_slice),
        **{name: value for name, value in given.items() if value is not None},
    )


def _run(args, console, dataset, data_root, pipeline_root, data, beam_args) -> int:
    from pipeline.config import GateConfig, TuningConfig, allowed_anomalies
    from pipeline.runners.configs import local_config, provenance

    try:
        config = local_config(
            dataset=dataset,
            pipeline_name=args.pipeline_name,
            pipeline_root=pipeline_root,
            data_root=data_root,
            schema=dataset.schema_path,
            serving_dir=args.serving_dir,
            **({"model_name": args.model_name} if args.model_name else {}),
            train_steps=args.train_steps,
            seed=args.seed,
            beam_args=beam_args,
            enable_cache=not args.no_cache,
            gate=GateConfig(allow=allowed_anomalies(args.allow_anomalies)),
            tuning=TuningConfig(
                enabled=args.tune, max_trials=args.tune_trials, steps_per_trial=args.tune_steps
            ),
            fairness=_fairness(args, dataset.spec),
            provenance=provenance(Path(data_root), data.files),
        )
    except ValueError as e:
        console.print(f"[bold red]Configuration error:[/] {e}")
        console.print("Nothing was trained or pushed.")
        return EXIT_BAD_INPUT
    log_path = pipeline_root / "logs" / f"{datetime.datetime.now():%Y%m%d-%H%M%S}.log"
    console.print(f"Data: {len(data.files)} CSV file(s), {data.rows} rows in {config.data_root}")
    console.print(f"Log:  {log_path}")

    from pipeline.runners.local import run_and_report

    return run_and_report(
        config,
        console=console,
        log_path=log_path,
        verbose=args.verbose,
        orchestrator=args.orchestrator,
    )


def count_problem(args: argparse.Namespace) -> str | None:
    """--train-steps, --tune-trials or --tune-steps below 1, in the flags' words."""
    if args.train_steps < 1:
        return "--train-steps must be at least 1"
    if args.tune_trials < 1 or args.tune_steps < 1:
        return "--tune-trials and --tune-steps must be at least 1"
    return None


def add_tuning_arguments(p: argparse.ArgumentParser) -> None:
    """--tune and its budget (`TuningConfig`), for every command that builds a pipeline."""
    from pipeline.config import TuningConfig

    default = TuningConfig()
    p.add_argument(
        "--tune",
        action="store_true",
        help="search hyperparameters with the Tuner (KerasTuner) before training; "
        "the Trainer uses the best trial's (default: off)",
    )
    p.add_argument(
        "--tune-trials",
        type=int,
        default=default.max_trials,
        metavar="N",
        help="trial budget of --tune (default: %(default)s)",
    )
    p.add_argument(
        "--tune-steps",
        type=int,
        default=default.steps_per_trial,
        metavar="N",
        help="training steps of each --tune trial (default: %(default)s)",
    )


def add_parser(subparsers) -> None:
    """Register `run`: the same flags as run_local.py."""
    p = subparsers.add_parser(
        "run",
        help="run the pipeline on this machine (what run_local.py does)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_run_arguments(p)
    p.set_defaults(func=lambda args: run(checked(p, args)))
