"""How long Airflow takes to parse the compiled DAG file, cold, as its scheduler does.

    python benchmarks/airflow_parse_bench.py                       # this checkout
    python benchmarks/airflow_parse_bench.py --compare-ref a26f117 # and an older commit

Each parse is a fresh interpreter that imports Airflow's DagBag and DAG model
(`airflow.models.dag`, which a scheduler's file processor always has loaded and
DagBag would otherwise import lazily during the first file, ~0.7 s), then loads
the DAG folder once: the time is DagBag's own per-file duration (what
`dagbag_import_timeout` limits and `airflow dags report` shows), and the modules
the parse left behind show whether TensorFlow was imported. `--compare-ref`
compiles the DAG with the code of that commit (a temporary git worktree, the
same environment) and parses both folders in alternating order, so a busy
machine slows both alike. Writes `airflow_parse_bench.json` and `.md` to `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from machine import machine_info

REPO_ROOT = Path(__file__).resolve().parent.parent

_PARSE = """
import json, sys, time
started = time.perf_counter()
from airflow.models import DagBag
import airflow.models.dag  # every scheduler's file processor has it loaded already
imported = time.perf_counter() - started
bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
print(json.dumps({
    "parse_seconds": sum(s.duration.total_seconds() for s in bag.dagbag_stats),
    "airflow_import_seconds": imported,
    "errors": len(bag.import_errors),
    "tasks": sum(len(d.tasks) for d in bag.dags.values()),
    "tensorflow_imported": "tensorflow" in sys.modules,
}))
"""


def compile_dag(source: Path, home: Path) -> Path:
    """Compile the taxi DAG with the code in `source` into `home/dags`."""
    dags = home / "dags"
    subprocess.run(
        [sys.executable, "-m", "pipeline", "compile", "airflow", "--output", str(dags),
         "--pipeline-root", str(home / "pipeline"), "--serving-dir", str(home / "serving")],
        cwd=source, env={**os.environ, "PYTHONPATH": str(source)}, check=True,
        capture_output=True,
    )  # fmt: skip
    return dags


def parse_once(dags: Path, source: Path, home: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(source), "AIRFLOW_HOME": str(home / "airflow")}
    env.update(AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="600")
    result = subprocess.run(
        [sys.executable, "-c", _PARSE, str(dags)],
        cwd=home, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])


def _summary(parses: list[dict]) -> dict:
    seconds = [p["parse_seconds"] for p in parses]
    return {
        "parse_seconds_median": round(statistics.median(seconds), 3),
        "parse_seconds": [round(s, 3) for s in seconds],
        "airflow_import_seconds_median": round(
            statistics.median(p["airflow_import_seconds"] for p in parses), 3
        ),
        "tasks": parses[0]["tasks"],
        "import_errors": parses[0]["errors"],
        "tensorflow_imported": any(p["tensorflow_imported"] for p in parses),
    }


def _markdown(results: dict) -> str:
    lines = [
        "| DAG | median cold parse (s) | parses (s) | tasks | TensorFlow imported |",
        "|---|---|---|---|---|",
    ]
    for name, r in results["dags"].items():
        lines.append(
            f"| {name} | {r['parse_seconds_median']} | {', '.join(map(str, r['parse_seconds']))}"
            f" | {r['tasks']} | {'yes' if r['tensorflow_imported'] else 'no'} |"
        )
    machine = results["machine"]
    lines.append(
        f"\n{machine['cpu_count']} CPUs ({machine['cpu_model']}), Python {machine['python']}; "
        f"Airflow's own import (not in the parse time): "
        + ", ".join(
            f"{n} {r['airflow_import_seconds_median']} s" for n, r in results["dags"].items()
        )
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="cold parses per DAG (default: 3)")
    p.add_argument("--compare-ref", default=None, help="git commit whose DAG to parse too")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "results")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="airflow-parse-") as tmp:
        tmp = Path(tmp)
        sources = {"this checkout": REPO_ROOT}
        if args.compare_ref:
            older = tmp / "older-checkout"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(older), args.compare_ref],
                cwd=REPO_ROOT, check=True, capture_output=True,
            )  # fmt: skip
            sources = {args.compare_ref: older, **sources}
        try:
            dags = {name: compile_dag(src, tmp / f"home-{i}") for i, (name, src) in
                    enumerate(sources.items())}  # fmt: skip
            parses: dict[str, list[dict]] = {name: [] for name in sources}
            for round_ in range(args.rounds):
                order = list(sources) if round_ % 2 == 0 else list(reversed(sources))
                for name in order:
                    parses[name].append(parse_once(dags[name], sources[name], dags[name].parent))
                    print(name, parses[name][-1], flush=True)
        finally:
            if args.compare_ref:
                subprocess.run(["git", "worktree", "remove", "--force", str(older)],
                               cwd=REPO_ROOT, capture_output=True)  # fmt: skip
    results = {
        "machine": machine_info(),
        "rounds": args.rounds,
        "dags": {name: _summary(each) for name, each in parses.items()},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "airflow_parse_bench.json").write_text(json.dumps(results, indent=1) + "\n")
    (args.out / "airflow_parse_bench.md").write_text(_markdown(results))
    print(_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
