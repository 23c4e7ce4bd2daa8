"""`python -m pipeline lineage VERSION` and `python -m pipeline explain VERSION --example JSON`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pipeline.cli.versions import METRICS as VERSION_METRICS
from pipeline.cli.versions import (
    add_location_flags,
    base_directory,
    metadata_path,
    quiet_tensorflow_logs,
)

METRICS = (*VERSION_METRICS, ("example_count", "eval examples"))


def add_parser(subparsers) -> None:
    """Register `lineage` and `explain`."""
    lineage = subparsers.add_parser(
        "lineage",
        help="print where a pushed version came from: model, hyperparameters, transform "
        "graph, schema, examples, data files (sha256), evaluation and git commit",
    )
    lineage.add_argument("version", help="a pushed version (see `versions`)")
    lineage.add_argument("--json", action="store_true", help="print the lineage as JSON")
    add_location_flags(lineage)
    lineage.set_defaults(func=_lineage)

    explain = subparsers.add_parser(
        "explain", help="explain one prediction of a pushed version, feature by feature"
    )
    explain.add_argument("version", help="a pushed version (see `versions`)")
    source = explain.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--example", help="one example as a JSON object of raw features, e.g. '{\"fare\": 12.5}'"
    )
    source.add_argument("--example-file", type=Path, help="a file holding that JSON object")
    explain.add_argument("--json", action="store_true", help="print the explanation as JSON")
    add_location_flags(explain)
    explain.set_defaults(func=_explain)


def _lineage(args: argparse.Namespace) -> int:
    from rich.console import Console

    from pipeline.metadata import lineage

    quiet_tensorflow_logs()
    console = Console(highlight=False, soft_wrap=True)
    try:
        found = lineage.trace(metadata_path(args), args.version)
    except (lineage.LineageError, FileNotFoundError) as e:
        console.print(f"[bold red]No lineage:[/] {e}")
        return 1
    if args.json:
        print(found.to_json())
        return 0
    print_lineage(found, console)
    return 0


def _describe(link) -> str:
    d = link.details
    if link.name == "pushed model":
        return f"pushed to {d['destination']}"
    if link.name == "blessing":
        verdict = "blessed" if d["blessed"] else "not blessed"
        evaluator = "passed" if d["evaluator_blessed"] else "failed"
        fairness = "blocked" if d["fairness_blocked"] else "passed"
        return f"{verdict} (Evaluator thresholds {evaluator}; fairness check {fairness})"
    if link.name == "evaluation":
        return "  ".join(
            f"{label} {d['metrics'][key]:.4g}" for key, label in METRICS if key in d["metrics"]
        )
    if link.name == "model":
        hp = dict(d["hyperparameters"])
        source = hp.pop("source", "unrecorded")
        values = ", ".join(f"{k}={v}" for k, v in sorted(hp.items()))
        return f"hyperparameters ({source}): {values}; seed {d['seed']}"
    if link.name == "schema":
        return f"from {d['schema_file']}"
    if link.name == "examples":
        return f"from {d['input_base']} ({d['input_fingerprint']})"
    return ""


def print_lineage(found, console) -> None:
    console.print(f"[bold]Version {found.version}[/] at {found.path}")
    for link in found.links:
        console.print(
            f"  [bold]{link.name:<22}[/] #{link.artifact_id:<5} {link.producer} "
            f"(execution {link.execution_id}, run {link.run_id})"
        )
        console.print(f"      {link.uri}")
        description = _describe(link)
        if description:
            console.print(f"      {description}")
    console.print(f"  [bold]{'data files':<22}[/] in {found.data_root}")
    if not found.data_files:
        console.print("      no content hashes were recorded by this run")
    for f in found.data_files:
        style = "green" if f.now == "unchanged" else "red"
        console.print(f"      {f.path}  sha256 {f.sha256}  [{style}]{f.now} since the run[/]")
    commit = found.git_commit or "not recorded (the run was not started from a git checkout)"
    if found.git_commit:
        commit += " (uncommitted changes at run time)" if found.git_dirty else " (clean)"
    console.print(f"  [bold]{'code':<22}[/] git commit {commit}")
    console.print(f"      fingerprint of models/: {found.code_fingerprint or '-'}")


def _example(args: argparse.Namespace) -> dict:
    text = args.example if args.example is not None else args.example_file.read_text()
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"the example is not valid JSON: {e}") from None


def _explain(args: argparse.Namespace) -> int:
    from rich.console import Console

    from models.attributions import ExplanationError, background_of, explain, load_model

    quiet_tensorflow_logs()
    console = Console(highlight=False, soft_wrap=True)
    version_dir = Path(base_directory(args)) / args.version
    try:
        example = _example(args)
        background = background_of(str(version_dir))
        model = load_model(str(version_dir))
        found = explain(model, example, background)
    except (ExplanationError, ValueError, FileNotFoundError, OSError) as e:
        console.print(f"[bold red]Cannot explain:[/] {e}")
        return 1
    ranked = sorted(found.attributions.items(), key=lambda kv: -abs(kv[1]))
    if args.json:
        answer = {"prediction": found.prediction, "attributions": dict(ranked)}
        if found.predicted_class is not None:
            # A classifier's prediction is the probability of that class.
            answer = {"class": found.predicted_class, "probability": found.prediction, **answer}
            del answer["prediction"]
        print(json.dumps(answer, indent=1))
        return 0
    label = model.spec.label.key
    if found.predicted_class is None:
        console.print(f"Version {args.version}: predicted {label} {found.prediction:.4g}")
    else:
        console.print(
            f"Version {args.version}: probability that {label} is "
            f"{found.predicted_class!r}: {found.prediction:.4f}"
        )
    console.print(
        f"Each feature's contribution: the prediction minus its mean with that feature "
        f"taken from each of {len(background)} eval examples (positive: pushed it up)."
    )
    for name, value in ranked:
        console.print(f"  {name:<24} {value:+.4f}")
    return 0
