"""Quality benchmark: the pipeline's network against gradient-boosted trees, per dataset.

    python benchmarks/quality_bench.py                  # every bundled dataset, seeds 0-2
    python benchmarks/quality_bench.py --datasets taxi --seeds 0 --quick

For each dataset and seed, the real pipeline runs from scratch (its own root,
`--seed`), and scikit-learn's HistGradientBoosting is trained on exactly the
pipeline's train split (ExampleGen's output, the same raw columns the model
reads, the label as Transform derives it) and scored on the same eval split.
Both are scored by `models.scoring` on the same eval examples: the network
through its served `serving_default` signature, so what is compared is what
would be served. Taxi is also scored on its `Credit Card` slice: cash tips are
not recorded, so payment type alone predicts most trips, and the card trips
are where a model earns its keep.

Writes `quality_bench.json` and `quality_bench.md` to `--out`: every seed's
numbers, medians, and the machine.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from machine import machine_info

REPO_ROOT = Path(__file__).resolve().parent.parent
# Slices reported besides the whole eval split: dataset -> (column, value).
SLICES = {"taxi": ("payment_type", "Credit Card")}
TREE_ITERATIONS = 300


def run_pipeline(dataset: str, seed: int, root: Path, train_steps: int | None):
    """The real pipeline on `dataset` under `root`; its config."""
    from pipeline.runners.configs import load_dataset, local_config
    from pipeline.runners.local import run_pipeline as run

    loaded = load_dataset(dataset)
    settings = {"seed": seed}
    if train_steps:
        settings["train_steps"] = train_steps
    config = local_config(
        dataset=loaded,
        pipeline_root=root / "pipeline",
        data_root=loaded.data_root,
        serving_dir=root / "serving",
        **settings,
    )
    run(config)
    return config


def split_examples(config, split: str) -> list[bytes]:
    """Every serialized example of one split of the run's ExampleGen output."""
    from pipeline import steps
    from pipeline.components.standard_outputs import serialized_examples
    from pipeline.metadata.run import open_run

    run = open_run(config.pipeline_root, pipeline_name=config.pipeline_name)
    examples = run.output(steps.EXAMPLE_GEN, "examples")
    return serialized_examples(examples.uri, split, limit=10**9)


def trained_model(config):
    """The run's trained model (the Trainer's, blessed or not)."""
    from tfx.utils import path_utils

    from models.attributions import load_model
    from pipeline import steps
    from pipeline.metadata.run import open_run

    run = open_run(config.pipeline_root, pipeline_name=config.pipeline_name)
    return load_model(path_utils.serving_model_path(run.output(steps.TRAINER, "model").uri))


def frame(model, serialized: list[bytes]):
    """(raw feature table for the trees, labels) of serialized examples."""
    import pandas as pd

    from models.attributions import labels, raw_columns, signature_dtypes

    columns = raw_columns(serialized, signature_dtypes(model))
    table = pd.DataFrame(columns)
    for name, values in table.items():
        if values.dtype == object:
            table[name] = values.replace("", np.nan).astype("category")
        elif np.issubdtype(values.dtype, np.integer):
            table[name] = values.where(values >= 0, np.nan)
    return table, labels(model, serialized)


def trees(task: str, seed: int):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
    return cls(
        max_iter=TREE_ITERATIONS,
        early_stopping=True,
        random_state=seed,
        categorical_features="from_dtype",
    )


def tree_predictions(model, train, test, task: str):
    """Positive-class probability (binary), class probabilities, or values."""
    model.fit(*train)
    if task == "regression":
        return model.predict(test)
    probabilities = model.predict_proba(test)
    return probabilities[:, 1] if task == "binary" else probabilities


def scores(task: str, y, predictions) -> dict[str, float]:
    from models import scoring

    if task == "regression":
        return {"rmse": scoring.rmse(y, predictions), "mae": scoring.mae(y, predictions)}
    found = {"accuracy": scoring.accuracy(y, predictions, task)}
    if task == "binary":
        found["auc"] = scoring.auc(y, predictions)
    found["log_loss"] = scoring.log_loss(y, predictions, task)
    return found


def one_run(dataset: str, seed: int, scratch: Path, train_steps: int | None) -> dict:
    from models.attributions import predict, raw_columns, signature_dtypes

    config = run_pipeline(dataset, seed, scratch / f"{dataset}-{seed}", train_steps)
    model = trained_model(config)
    task = model.spec.task
    train_x, train_y = frame(model, split_examples(config, "train"))
    eval_examples = split_examples(config, "eval")
    eval_x, eval_y = frame(model, eval_examples)
    network = predict(model, raw_columns(eval_examples, signature_dtypes(model)))
    boosted = tree_predictions(trees(task, seed), (train_x, train_y), eval_x, task)
    result = {
        "seed": seed,
        "task": task,
        "train_rows": len(train_y),
        "eval_rows": len(eval_y),
        "network": scores(task, eval_y, network),
        "trees": scores(task, eval_y, boosted),
        "slices": {},
    }
    if dataset in SLICES:
        column, value = SLICES[dataset]
        rows = (eval_x[column] == value).to_numpy()
        result["slices"][f"{column}={value}"] = {
            "rows": int(rows.sum()),
            "network": scores(task, eval_y[rows], network[rows]),
            "trees": scores(task, eval_y[rows], boosted[rows]),
        }
    return result


def medians(runs: list[dict]) -> dict:
    def median_of(part: str, where=lambda r: r) -> dict:
        names = where(runs[0])[part]
        return {m: statistics.median(where(r)[part][m] for r in runs) for m in names}

    summary = {"network": median_of("network"), "trees": median_of("trees"), "slices": {}}
    for name in runs[0]["slices"]:
        summary["slices"][name] = {
            side: median_of(side, lambda r, n=name: r["slices"][n]) for side in ("network", "trees")
        }
    return summary


HIGHER_IS_BETTER = {"auc": True, "accuracy": True, "log_loss": False, "rmse": False, "mae": False}
# "Matches": within this of the trees. Absolute for the scores in [0, 1] and log
# loss (a difference of 0.00015 between two near-perfect log losses is a tie),
# relative for the errors in the label's units.
ABSOLUTE_TOLERANCE = {"auc": 0.005, "accuracy": 0.005, "log_loss": 0.005}
RELATIVE_TOLERANCE = {"rmse": 0.01, "mae": 0.01}


def matches_or_beats(metric: str, network: float, boosted: float) -> bool:
    """Whether the network's value is as good as the trees', within the metric's tolerance."""
    slack = ABSOLUTE_TOLERANCE.get(metric, 0.0) + RELATIVE_TOLERANCE.get(metric, 0.0) * abs(boosted)
    if HIGHER_IS_BETTER[metric]:
        return network >= boosted - slack
    return network <= boosted + slack


def verdicts(summary: dict) -> dict:
    """Whether the network matches or beats the trees, metric by metric (medians)."""

    def compare(network: dict, boosted: dict) -> dict:
        return {m: matches_or_beats(m, network[m], boosted[m]) for m in network}

    found = {"overall": compare(summary["network"], summary["trees"])}
    for name, sides in summary["slices"].items():
        found[name] = compare(sides["network"], sides["trees"])
    return found


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"Machine: {m['cpu_model']}, {m['cpu_count']} cores, {m['memory_gb']} GB; "
        f"{results['date']}; commit {results['code']['git_commit'][:10] or 'unknown'}"
        f"{' with uncommitted changes' if results['code']['uncommitted_changes'] else ''}; "
        f"seeds {results['seeds']}; medians over seeds. Matches: within 0.005 (AUC, accuracy, "
        "log loss) or 1% (RMSE, MAE) of the trees.",
        "",
        "| Dataset | Task | Rows (train / eval) | Metric | Network | Trees "
        "| Network matches or beats |",
        "|---|---|---|---|---:|---:|---|",
    ]
    for name, d in results["datasets"].items():
        run = d["runs"][0]
        rows = f"{run['train_rows']:,} / {run['eval_rows']:,}"
        parts = [("overall", d["medians"]["network"], d["medians"]["trees"])]
        parts += [(s, v["network"], v["trees"]) for s, v in d["medians"]["slices"].items()]
        for part, network, boosted in parts:
            label = name if part == "overall" else f"{name}, {part}"
            for metric in network:
                ok = d["verdicts"][part][metric]
                lines.append(
                    f"| {label} | {run['task']} | {rows} | {metric} | {network[metric]:.4f} | "
                    f"{boosted[metric]:.4f} | {'yes' if ok else 'no'} |"
                )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    import schemas
    from models.keras_version import use_keras_2

    use_keras_2()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", default=",".join(schemas.bundled()), help="comma-separated")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated (default: %(default)s)")
    p.add_argument("--train-steps", type=int, default=None, help="(default: the pipeline's)")
    p.add_argument("--quick", action="store_true", help="write nothing")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    args = p.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    from pipeline.runners.provenance import git_state

    commit, dirty = git_state(REPO_ROOT)
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "code": {"git_commit": commit, "uncommitted_changes": dirty},
        "machine": machine_info(),
        "seeds": seeds,
        "tree_iterations": TREE_ITERATIONS,
        "datasets": {},
    }
    with tempfile.TemporaryDirectory(prefix="quality-bench-") as scratch:
        for dataset in args.datasets.split(","):
            runs = []
            for seed in seeds:
                print(f"{dataset} seed {seed}", flush=True)
                runs.append(one_run(dataset, seed, Path(scratch), args.train_steps))
                print(json.dumps(runs[-1]), flush=True)
            summary = medians(runs)
            results["datasets"][dataset] = {
                "runs": runs,
                "medians": summary,
                "verdicts": verdicts(summary),
            }
    table = markdown(results)
    print(table)
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "quality_bench.json").write_text(json.dumps(results, indent=1) + "\n")
        (args.out / "quality_bench.md").write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
