"""Pipeline benchmark: this project against the official TFX taxi example, side by side.

    python benchmarks/pipeline_bench.py            # 3 rounds + 10x/100x scaling
    python benchmarks/pipeline_bench.py --quick    # 1 round, no scaling: a smoke check

The reference is `tfx/examples/chicago_taxi_pipeline/taxi_pipeline_native_keras.py`
from the installed tfx, run unmodified with its own BeamDagRunner settings
(`multi_processing`, one worker per CPU) and `TF_USE_LEGACY_KERAS=1` (it fails
under Keras 3). Its paths hang off `$HOME`, so each round gives it a fresh HOME
holding the same CSV and its module file.

Rounds alternate reference cold run, project cold run, reference rerun, project
rerun, each on fresh roots, so slow phases of a noisy machine fall on both. The
project's round `i` trains with seed `i`: its eval metrics across rounds are the
seed stability the targets ask for. Scaling runs the project alone on the
sample replicated 10x and 100x (generated here, never committed).

Each run is a separate process; wall time is the whole process (imports
included), peak memory is sampled every 0.1 s over the process and its
children. Writes `pipeline_bench.json` and `pipeline_bench.md` to `--out`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.metadata
import importlib.resources
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from machine import machine_info

from models.keras_version import LEGACY_KERAS_VARIABLE
from pipeline.beam_args import direct_defaults
from pipeline.defaults import metadata_path
from pipeline.runners.provenance import git_state

REPO_ROOT = Path(__file__).resolve().parent.parent
REFERENCE_PACKAGE = "tfx.examples.chicago_taxi_pipeline"
REFERENCE_PIPELINE = "taxi_pipeline_native_keras.py"
REFERENCE_MODULE = "taxi_utils_native_keras.py"
REFERENCE_METADATA = Path("tfx/metadata/chicago_taxi_native_keras/metadata.db")

# The targets of issue #3.
TARGETS = {
    "cold_ratio_max": 0.5,
    "rerun_ratio_max": 0.3,
    "auc_min": 0.95,
    "accuracy_min": 0.90,
    # Marginal seconds per row from 10x to 100x, over that from 1x to 10x:
    # above 1 would mean the cost per row grows with the data.
    "marginal_cost_ratio_max": 1.1,
}

# Workers of each DirectRunner mode a scaling point can force (0: one per CPU),
# the same counts run_local.py picks for that mode by data size.
DIRECT_WORKERS = {"in_memory": 1, "multi_processing": 0}


@dataclasses.dataclass
class Measured:
    """One process run: wall seconds, peak memory, exit code and its log."""

    wall_s: float
    peak_rss_mb: float  # the process tree at its largest
    peak_process_rss_mb: float  # the largest single process
    returncode: int
    log: str

    def check(self, what: str) -> None:
        if self.returncode != 0:
            raise RuntimeError(f"{what} exited {self.returncode}; see {self.log}")


def _tree_rss(proc: psutil.Process) -> tuple[int, int]:
    total = largest = 0
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for member in members:
        try:
            rss = member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest


def run_measured(cmd: list[str], *, env: dict, cwd: Path, log: Path) -> Measured:
    """Run `cmd` to completion, sampling the memory of it and its children."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak_total = peak_one = 0
    with log.open("w") as out:
        start = time.perf_counter()
        popen = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        proc = psutil.Process(popen.pid)
        while popen.poll() is None:
            total, one = _tree_rss(proc)
            peak_total, peak_one = max(peak_total, total), max(peak_one, one)
            time.sleep(0.1)
        wall = time.perf_counter() - start
    mb = 1024 * 1024
    return Measured(wall, peak_total / mb, peak_one / mb, popen.returncode, str(log))


def sample_csv() -> Path:
    """The taxi sample shipped inside tfx (15,002 rows)."""
    data = importlib.resources.files(REFERENCE_PACKAGE) / "data" / "simple" / "data.csv"
    return Path(str(data))


def replicate_csv(source: Path, times: int, target: Path) -> int:
    """Write `source`'s rows `times` over (one header) to `target`; returns data rows."""
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = source.read_text().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    with target.open("w") as out:
        out.write(header)
        for _ in range(times):
            out.writelines(rows)
    return len(rows) * times


def _env(scratch: Path, **extra: str) -> dict:
    """The environment of a measured run; its temporary files go to `scratch`.

    The reference's TFX repackages itself into a new temporary folder for every
    Beam component (49 MB each); under `scratch` they go when its root does.
    """
    scratch.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["TMPDIR"] = str(scratch)
    env[LEGACY_KERAS_VARIABLE] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class Reference:
    """The official example in a HOME of its own (its paths are fixed under $HOME)."""

    def __init__(self, home: Path, data: Path):
        self.home = home
        package = importlib.resources.files(REFERENCE_PACKAGE)
        self.script = Path(str(package / REFERENCE_PIPELINE))
        (home / "taxi" / "data" / "simple").mkdir(parents=True, exist_ok=True)
        shutil.copy(data, home / "taxi" / "data" / "simple" / "data.csv")
        shutil.copy(Path(str(package / REFERENCE_MODULE)), home / "taxi" / REFERENCE_MODULE)

    def run(self, log: Path) -> Measured:
        measured = run_measured(
            [sys.executable, str(self.script)],
            env=_env(self.home / "tmp", HOME=str(self.home)),
            cwd=self.home,
            log=log,
        )
        measured.check("the reference example")
        return measured

    @property
    def metadata(self) -> Path:
        return self.home / REFERENCE_METADATA


class Project:
    """`run_local.py` on its own pipeline root and serving folder."""

    def __init__(
        self,
        root: Path,
        data_root: Path | None = None,
        seed: int = 0,
        direct_mode: str | None = None,
    ):
        self.root, self.data_root, self.seed = root, data_root, seed
        self.direct_mode = direct_mode

    def run(self, log: Path) -> Measured:
        cmd = [
            sys.executable,
            str(REPO_ROOT / "run_local.py"),
            f"--pipeline-root={self.root / 'pipeline'}",
            f"--serving-dir={self.root / 'serving'}",
            f"--seed={self.seed}",
        ]
        if self.data_root is not None:
            cmd.append(f"--data-root={self.data_root}")
        if self.direct_mode is not None:
            cmd += [f"--direct-running-mode={self.direct_mode}"]
            cmd += [f"--direct-num-workers={DIRECT_WORKERS[self.direct_mode]}"]
        measured = run_measured(cmd, env=_env(self.root / "tmp"), cwd=REPO_ROOT, log=log)
        measured.check("run_local.py")
        return measured

    @property
    def metadata(self) -> Path:
        return metadata_path(self.root / "pipeline")


def eval_metrics(metadata_path: Path) -> dict[str, float]:
    """Overall-slice metrics of the newest ModelEvaluation in a pipeline's ML Metadata."""
    import ml_metadata as mlmd
    import tensorflow_model_analysis as tfma
    from ml_metadata.proto import metadata_store_pb2

    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(metadata_path)
    config.sqlite.connection_mode = metadata_store_pb2.SqliteMetadataSourceConfig.READONLY
    store = mlmd.MetadataStore(config)
    evaluations = store.get_artifacts_by_type("ModelEvaluation")
    if not evaluations:
        return {}
    newest = max(evaluations, key=lambda a: a.create_time_since_epoch)
    result = tfma.load_eval_result(newest.uri)
    for slice_key, metrics in result.slicing_metrics:
        if slice_key == ():
            values = metrics[""][""]
            return {
                name: round(value["doubleValue"], 4)
                for name, value in values.items()
                if "doubleValue" in value
            }
    return {}


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def rounds(work: Path, n: int, data: Path, logs: Path) -> list[dict]:
    """`n` alternating rounds of cold runs and reruns, reference and project."""
    results = []
    for i in range(n):
        ref = Reference(work / f"ref-{i}", data)
        ours = Project(work / f"ours-{i}", seed=i)
        row = {"round": i, "seed": i}
        print(f"round {i + 1}/{n}", flush=True)
        for name, target, phase in (
            ("reference", ref, "cold"),
            ("project", ours, "cold"),
            ("reference", ref, "rerun"),
            ("project", ours, "rerun"),
        ):
            measured = target.run(logs / f"round{i}-{name}-{phase}.log")
            row[f"{name}_{phase}"] = dataclasses.asdict(measured)
            print(f"  {name:9s} {phase:5s} {measured.wall_s:7.1f} s", flush=True)
        row["reference_metrics"] = eval_metrics(ref.metadata)
        row["project_metrics"] = eval_metrics(ours.metadata)
        results.append(row)
        shutil.rmtree(ref.home, ignore_errors=True)
        shutil.rmtree(ours.root, ignore_errors=True)
    return results


@dataclasses.dataclass(frozen=True)
class Scale:
    """One scaling point: the sample replicated `factor` times, in a DirectRunner mode.

    `direct_mode=None` is the project's own choice by data size; a forced mode
    measured beside it shows whether that choice is right at that size.
    """

    factor: int
    direct_mode: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scale:
        factor, _, mode = text.strip().partition(":")
        if mode and mode not in DIRECT_WORKERS:
            raise argparse.ArgumentTypeError(
                f"scale {text!r}: the mode after ':' must be one of {sorted(DIRECT_WORKERS)}"
            )
        return cls(int(factor), mode or None)

    @property
    def label(self) -> str:
        return f"x{self.factor}" + (f"-{self.direct_mode}" if self.direct_mode else "")


def scaling(work: Path, scales: list[Scale], data: Path, logs: Path) -> list[dict]:
    """The project alone on the sample replicated `factor` times, one cold run each."""
    results = []
    for scale in scales:
        data_root = work / f"data-x{scale.factor}"
        rows = replicate_csv(data, scale.factor, data_root / "data.csv")
        ours = Project(
            work / f"scale-{scale.label}", data_root=data_root, direct_mode=scale.direct_mode
        )
        print(f"scale {scale.label}: {rows:,} rows", flush=True)
        measured = ours.run(logs / f"scale-{scale.label}.log")
        print(f"  project cold {measured.wall_s:7.1f} s", flush=True)
        results.append(
            {
                "factor": scale.factor,
                # What run_local.py chose by size on this machine, or the forced mode.
                "direct_mode": scale.direct_mode or direct_defaults(rows, os.cpu_count())[0],
                "mode_forced": scale.direct_mode is not None,
                "rows": rows,
                **dataclasses.asdict(measured),
                "rows_per_s": round(rows / measured.wall_s, 1),
                "metrics": eval_metrics(ours.metadata),
            }
        )
        shutil.rmtree(ours.root, ignore_errors=True)
        shutil.rmtree(data_root, ignore_errors=True)
    return results


def _round_summary(round_results: list[dict]) -> tuple[dict, dict]:
    """Medians, ratios and the speed and quality verdicts of the alternating rounds."""

    def median_of(key: str, field: str) -> float:
        return _median([r[key][field] for r in round_results])

    def ratio(phase: str) -> float:
        return statistics.median(
            r[f"project_{phase}"]["wall_s"] / r[f"reference_{phase}"]["wall_s"]
            for r in round_results
        )

    cold_ratio, rerun_ratio = ratio("cold"), ratio("rerun")
    seeds = [
        {"seed": r["seed"], **{k: r["project_metrics"].get(k) for k in ("auc", "binary_accuracy")}}
        for r in round_results
    ]
    summary = {
        "median_wall_s": {k: median_of(k, "wall_s") for k in _PHASES},
        "median_peak_rss_mb": {k: median_of(k, "peak_rss_mb") for k in _PHASES},
        "cold_ratio": round(cold_ratio, 3),
        "rerun_ratio": round(rerun_ratio, 3),
        "project_seeds": seeds,
        "reference_accuracy": [
            r["reference_metrics"].get("binary_accuracy") for r in round_results
        ],
    }
    targets = {
        "cold run <= 0.5x reference": cold_ratio <= TARGETS["cold_ratio_max"],
        "rerun <= 0.3x reference": rerun_ratio <= TARGETS["rerun_ratio_max"],
        "AUC >= 0.95 for every seed": all((s["auc"] or 0) >= TARGETS["auc_min"] for s in seeds),
        "accuracy >= 0.90 for every seed": all(
            (s["binary_accuracy"] or 0) >= TARGETS["accuracy_min"] for s in seeds
        ),
    }
    return summary, targets


def _scaling_summary(points: list[dict]) -> tuple[dict, dict]:
    """Marginal seconds per row between successive sizes, and the linearity verdict."""
    marginal = [
        (b["wall_s"] - a["wall_s"]) / (b["rows"] - a["rows"]) for a, b in itertools.pairwise(points)
    ]
    summary = {
        "marginal_s_per_1k_rows": [round(m * 1000, 4) for m in marginal],
        "marginal_cost_ratio": round(marginal[-1] / marginal[0], 3),
        "peak_rss_mb_by_rows": {str(p["rows"]): round(p["peak_rss_mb"]) for p in points},
    }
    verdict = marginal[-1] / marginal[0] <= TARGETS["marginal_cost_ratio_max"]
    return summary, {"time grows no faster than rows (marginal cost ratio <= 1.1)": verdict}


def summarize(round_results: list[dict], scale_results: list[dict], sample_rows: int) -> dict:
    """Medians, ratios and each target's verdict (for what this run measured)."""
    summary, targets = _round_summary(round_results) if round_results else ({}, {})
    # Linearity is judged on the project's own choices; forced modes are for comparison.
    points = [p for p in scale_results if not p.get("mode_forced")]
    if round_results and not any(p["factor"] == 1 for p in points):
        # The rounds' own cold runs are the 1x point.
        cold = [r["project_cold"] for r in round_results]
        points.insert(
            0,
            {
                "rows": sample_rows,
                "wall_s": _median([c["wall_s"] for c in cold]),
                "peak_rss_mb": _median([c["peak_rss_mb"] for c in cold]),
            },
        )
    if len(points) >= 3:
        more, verdicts = _scaling_summary(points)
        summary.update(more)
        targets.update(verdicts)
    summary["targets"] = targets
    return summary


_PHASES = ("reference_cold", "project_cold", "reference_rerun", "project_rerun")


def markdown(results: dict) -> str:
    """The results as Markdown tables."""
    s = results["summary"]
    n = len(results["rounds"])
    lines = [
        f"Machine: {results['machine']['cpu_model']}, {results['machine']['cpu_count']} cores, "
        f"{results['machine']['memory_gb']} GB; {results['date']}; "
        f"commit {results['code']['git_commit'][:10] or 'unknown'}"
        f"{' with uncommitted changes' if results['code']['uncommitted_changes'] else ''}; "
        f"{n} round(s), medians; "
        f"load average (1/5/15 min) before / after: {results['load_average_before_after']}.",
    ]
    if n:
        lines += _round_tables(results)
    if results["scaling"]:
        lines += _scaling_table(results)
    lines += ["", "| Target | Met |", "|---|---|"]
    lines += [f"| {name} | {'yes' if ok else 'NO'} |" for name, ok in s["targets"].items()]
    return "\n".join(lines) + "\n"


def _round_tables(results: dict) -> list[str]:
    s = results["summary"]
    med, mem = s["median_wall_s"], s["median_peak_rss_mb"]
    lines = [
        "",
        "| Run | Reference (TFX example) | This project | Ratio | Target |",
        "|---|---:|---:|---:|---:|",
        f"| Cold run, wall | {med['reference_cold']} s | {med['project_cold']} s "
        f"| {s['cold_ratio']} | ≤ {TARGETS['cold_ratio_max']} |",
        f"| Unchanged rerun, wall | {med['reference_rerun']} s | {med['project_rerun']} s "
        f"| {s['rerun_ratio']} | ≤ {TARGETS['rerun_ratio_max']} |",
        f"| Cold run, peak RSS (process tree) | {mem['reference_cold']:.0f} MB "
        f"| {mem['project_cold']:.0f} MB | | |",
        "",
        "| Round (seed) | Reference accuracy | Project AUC | Project accuracy | "
        "Project cold s | Reference cold s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results["rounds"]:
        m = r["project_metrics"]
        lines.append(
            f"| {r['round']} ({r['seed']}) | {r['reference_metrics'].get('binary_accuracy')} "
            f"| {m.get('auc')} | {m.get('binary_accuracy')} "
            f"| {r['project_cold']['wall_s']:.1f} | {r['reference_cold']['wall_s']:.1f} |"
        )
    return lines


def _scaling_table(results: dict) -> list[str]:
    s = results["summary"]
    lines = [
        "",
        "| Data | DirectRunner mode | Rows | Wall s | Rows/s | Peak RSS (tree) MB "
        "| Largest process MB | AUC |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results["scaling"]:
        lines.append(
            f"| x{r['factor']} | {r['direct_mode']}{' (forced)' if r.get('mode_forced') else ''} "
            f"| {r['rows']:,} | {r['wall_s']:.1f} "
            f"| {r['rows_per_s']:,.0f} "
            f"| {r['peak_rss_mb']:.0f} | {r['peak_process_rss_mb']:.0f} "
            f"| {r['metrics'].get('auc')} |"
        )
    if "marginal_s_per_1k_rows" in s:
        lines += [
            "",
            f"Marginal seconds per 1,000 rows between successive sizes: "
            f"{s['marginal_s_per_1k_rows']}; last over first: {s['marginal_cost_ratio']}.",
        ]
    return lines


def _scales(text: str) -> list[Scale]:
    return [Scale.parse(f) for f in text.split(",") if f.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="one round, no scaling, nothing written")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds (default: 3)")
    p.add_argument(
        "--scales",
        type=_scales,
        default="10,100",
        help="replication factors for scaling, '' for none; FACTOR:MODE forces a DirectRunner "
        f"mode ({'|'.join(sorted(DIRECT_WORKERS))}) beside the size rule, e.g. 10:in_memory",
    )
    p.add_argument(
        "--out", type=Path, default=REPO_ROOT / "benchmarks" / "results", help="results folder"
    )
    p.add_argument(
        "--work-dir", type=Path, default=None, help="scratch space (default: a temp folder)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    n = 1 if args.quick else args.rounds
    scales = [] if args.quick else args.scales
    data = sample_csv()
    sample_rows = sum(1 for _ in data.open()) - 1
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="pipeline-bench-", dir=args.work_dir))
    logs = work / "logs"
    try:
        round_results = rounds(work, n, data, logs)
        scale_results = scaling(work, scales, data, logs)
    except RuntimeError as e:
        print(f"benchmark failed: {e}", file=sys.stderr)
        return 1
    commit, dirty = git_state(REPO_ROOT)
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "code": {"git_commit": commit, "uncommitted_changes": dirty},
        "machine": machine_info(),
        "settings": {"rounds": n, "scales": [x.label for x in scales], "sample_rows": sample_rows},
        # Other work on the machine slows both sides; recorded, not corrected.
        "load_average_before_after": [list(load_before), list(os.getloadavg())],
        "rounds": round_results,
        "scaling": scale_results,
    }
    results["summary"] = summarize(round_results, scale_results, sample_rows)
    for r in [*results["rounds"], *results["scaling"]]:
        for value in r.values():  # scratch log paths are this machine's, not results
            if isinstance(value, dict):
                value.pop("log", None)
        r.pop("log", None)
    table = markdown(results)
    if not args.quick:  # a smoke check writes nothing, like serving_bench.py --quick
        args.out.mkdir(parents=True, exist_ok=True)
        # A scaling-only run (--rounds 0) keeps the rounds' results beside it.
        name = "pipeline_bench" if n else "pipeline_bench_scaling"
        (args.out / f"{name}.json").write_text(json.dumps(results, indent=1) + "\n")
        (args.out / f"{name}.md").write_text(table)
    print(table)
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all(results["summary"]["targets"].values()) else 3


if __name__ == "__main__":
    sys.exit(main())
