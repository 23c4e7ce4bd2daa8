"""`python -m pipeline compile airflow`: a DAG file Airflow parses in well under a
second, without TensorFlow, with the pipeline's task graph; and `airflow dags test`
running it for real (e2e): every task succeeds, a model is pushed, a second run is
served from the cache, and a run whose data the gate refuses stops there.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline import steps as P
from pipeline.cli import main

airflow = pytest.importorskip(
    "airflow", reason="the airflow dependency group (make test installs it)"
)

PARSES = 3  # fresh interpreters, each parsing the folder once as a scheduler would

# Runs in a fresh interpreter: Airflow reads its configuration (and would create
# ~/airflow) at import, and a parse must not find anything imported already.
_PARSE = textwrap.dedent(
    """
    import json, sys
    from airflow.models import DagBag
    # Loaded in every scheduler's file processor already; DagBag imports it lazily, at
    # the first file it parses (~0.7 s cold here), whatever the file holds.
    import airflow.models.dag

    bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
    dag = bag.dags.get(sys.argv[2])  # get_dag() would query the Airflow database
    print(json.dumps({
        "errors": {k: str(v) for k, v in bag.import_errors.items()},
        "dags": sorted(bag.dag_ids),
        "seconds": sum(s.duration.total_seconds() for s in bag.dagbag_stats),
        "heavy": sorted(m for m in ("tensorflow", "tfx", "apache_beam", "pipeline", "models")
                        if m in sys.modules),
        "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks} if dag else {},
        "schedule": str(dag.timetable.summary) if dag else None,
        "params": dict(dag.params) if dag else {},
        "max_active_runs": dag.max_active_runs if dag else None,
    }))
    """
)


def airflow_env(home: Path, dags: Path) -> dict[str, str]:
    env = {**os.environ, "AIRFLOW_HOME": str(home), "AIRFLOW__CORE__DAGS_FOLDER": str(dags)}
    env.update(AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__CORE__UNIT_TEST_MODE="False")
    return env


def parse(dags: Path, dag_id: str, home: Path) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", _PARSE, str(dags), dag_id],
        capture_output=True, text=True, timeout=300, env=airflow_env(home, dags), cwd=home.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def compile_dag(tmp_path: Path, *flags: str, data_root: Path | None = None) -> Path:
    dags = tmp_path / "dags"
    args = ["compile", "airflow", "--output", str(dags),
            "--pipeline-root", str(tmp_path / "pipeline"),
            "--serving-dir", str(tmp_path / "serving"), *flags]  # fmt: skip
    if data_root is not None:
        args += ["--data-root", str(data_root)]
    assert main(args) == 0
    return dags


def test_the_dag_parses_in_under_a_second_without_tensorflow(tmp_path):
    from pipeline.runners import ir as pipeline_ir

    dags = compile_dag(tmp_path)
    parses = [parse(dags, "taxi", tmp_path / "airflow") for _ in range(PARSES)]
    loaded = parses[0]
    assert loaded["errors"] == {}
    assert loaded["dags"] == ["taxi"]
    # Nothing of the pipeline, TensorFlow, TFX or Beam is imported to parse it.
    assert all(p["heavy"] == [] for p in parses), [p["heavy"] for p in parses]
    # Cold parses (a fresh interpreter each): the file and what it imports (Airflow's
    # BashOperator included), as DagBag times it.
    assert statistics.median(p["seconds"] for p in parses) < 1.0, [p["seconds"] for p in parses]

    # The task graph is the compiled pipeline's: the same ids and upstream edges.
    ir = pipeline_ir.read_ir(dags / f"taxi_dag{pipeline_ir.SUFFIX}")
    graph = pipeline_ir.task_graph(ir)
    assert loaded["upstream"] == {node: sorted(up) for node, up in graph.items()}
    assert list(graph) == [n.pipeline_node.node_info.id for n in ir.nodes]
    upstream = loaded["upstream"]
    assert P.TUNER not in upstream
    assert upstream[P.EXAMPLE_GEN] == []
    assert upstream[P.STATISTICS_GEN] == [P.EXAMPLE_GEN]
    assert upstream[P.TRANSFORM] == sorted([P.EXAMPLE_GEN, P.SCHEMA_GEN, P.DATA_GATE])
    assert upstream[P.TRAINER] == sorted([P.TRANSFORM, P.SCHEMA_GEN])
    assert set(upstream[P.PUSHER]) >= {P.TRAINER, P.EVALUATOR, P.SKILL_CHECK, P.FAIRNESS_CHECK}
    assert loaded["schedule"] == "None"
    # One run at a time on one pipeline root; the data folder is a run parameter.
    assert loaded["max_active_runs"] == 1
    assert loaded["params"] == {"data_root": pipeline_ir.data_root(ir), "allow_anomalies": ""}


def test_tune_adds_the_tuner_task_before_the_trainer(tmp_path):
    dags = compile_dag(tmp_path, "--tune", "--schedule", "@daily")
    loaded = parse(dags, "taxi", tmp_path / "airflow")
    assert loaded["upstream"][P.TRAINER] == sorted([P.TRANSFORM, P.SCHEMA_GEN, P.TUNER])
    assert P.TRANSFORM in loaded["upstream"][P.TUNER]
    assert loaded["schedule"] == "0 0 * * *"  # Airflow's summary of @daily


def test_the_ir_holds_the_compiled_config(tmp_path):
    from pipeline.runners import ir as pipeline_ir

    data = tmp_path / "data"
    data.mkdir()
    (data / "trips.csv").write_text(_head(200))
    dags = compile_dag(tmp_path, "--train-steps", "7", data_root=data)
    ir = pipeline_ir.read_ir(dags / f"taxi_dag{pipeline_ir.SUFFIX}")
    assert ir.pipeline_info.id == "taxi"
    assert pipeline_ir.data_root(ir) == str(data.resolve())
    assert pipeline_ir.pipeline_root(ir) == str((tmp_path / "pipeline").resolve())
    assert pipeline_ir.sqlite_path(pipeline_ir.metadata_connection(ir)) == str(
        (tmp_path / "pipeline" / "metadata.sqlite").resolve()
    )
    trainer = pipeline_ir.node(ir, P.TRAINER)
    assert '"num_steps": 7' in trainer.parameters.parameters["train_args"].field_value.string_value


def pipeline_data_sample() -> Path:
    from pipeline.defaults import sample_data_root

    return sample_data_root() / "data.csv"


def _head(rows: int) -> str:
    lines = pipeline_data_sample().read_text().splitlines()
    return "\n".join(lines[: rows + 1]) + "\n"


# --- `airflow dags test`: the real thing, on SQLite (e2e) ---

ROWS = 5000  # of the taxi sample: blessed at 400 steps (AUC 0.96, accuracy 0.92 here)
STEPS = "400"

_RUNS = textwrap.dedent(
    """
    import json
    from airflow.models import DagRun

    print(json.dumps([
        {"run_id": r.run_id, "state": r.state,
         "seconds": (r.end_date - r.start_date).total_seconds() if r.end_date else None,
         "tasks": {ti.task_id: ti.state for ti in r.get_task_instances()}}
        for r in sorted(DagRun.find(dag_id="taxi"), key=lambda r: r.execution_date)
    ]))
    """
)


class Airflow:
    """An Airflow installation of its own (AIRFLOW_HOME, SQLite) with one DAG folder."""

    def __init__(self, home: Path, dags: Path) -> None:
        self.home, self.env = home, airflow_env(home, dags)
        self.airflow = Path(sys.executable).with_name("airflow")
        self.cli("db", "migrate")

    def cli(self, *args: str, succeeds: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(self.airflow), *args], capture_output=True, text=True, timeout=1800,
            env=self.env, cwd=self.home.parent,
        )  # fmt: skip
        assert (result.returncode == 0) == succeeds, (
            args, result.returncode, result.stdout[-3000:], result.stderr[-3000:]
        )  # fmt: skip
        return result

    def test_run(self, conf: dict | None = None, succeeds: bool = True) -> str:
        """`airflow dags test taxi`: one DAG run, its tasks in this machine's processes."""
        extra = ["--conf", json.dumps(conf)] if conf else []
        return self.cli("dags", "test", "taxi", *extra, succeeds=succeeds).stdout

    def runs(self) -> list[dict]:
        result = subprocess.run(
            [sys.executable, "-c", _RUNS], capture_output=True, text=True, timeout=300,
            env=self.env, cwd=self.home.parent,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])


def _versions(serving: Path) -> list[str]:
    folder = serving / "taxi"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def _steps(root: Path, run_id: str) -> dict[str, str]:
    from pipeline.metadata.run import open_run

    run = open_run(root, run_id=run_id, pipeline_name="taxi", with_drift_reference=False)
    return {node: step.state for node, step in run.steps.items()}


@pytest.mark.e2e
def test_airflow_runs_the_pipeline_reuses_the_cache_and_stops_at_the_gate(tmp_path, csv_writer,
                                                                          sample_rows):  # fmt: skip
    data = tmp_path / "data"
    csv_writer(data / "trips.csv", sample_rows[:ROWS])
    dags = compile_dag(tmp_path, "--train-steps", STEPS, data_root=data)
    airflow = Airflow(tmp_path / "airflow", dags)
    root, serving = tmp_path / "pipeline", tmp_path / "serving"

    said = airflow.test_run()
    [first] = airflow.runs()
    assert first["state"] == "success", first
    assert set(first["tasks"].values()) == {"success"}, first["tasks"]
    assert set(_steps(root, first["run_id"]).values()) == {"executed"}
    [version] = _versions(serving)
    assert (serving / "taxi" / version / "saved_model.pb").is_file()
    # The last task prints the run's summary, as a local run does.
    assert f"Pushed:     version {version}" in said and "Blessed:    yes" in said

    airflow.test_run()
    second = airflow.runs()[-1]
    assert second["run_id"] != first["run_id"]
    assert set(second["tasks"].values()) == {"success"}, second["tasks"]
    states = _steps(root, second["run_id"])
    # Every component is served from ML Metadata's cache (resolvers always resolve).
    assert {s for n, s in states.items() if not n.endswith("Resolver")} == {"cached"}, states
    assert _versions(serving) == [version]

    # Another folder for one run (the DAG's data_root parameter), with a payment type
    # the schema does not know: the gate task fails and nothing downstream runs.
    bitcoin = [{**r, "payment_type": "Bitcoin"} if i % 10 == 0 else r
               for i, r in enumerate(sample_rows[:ROWS])]  # fmt: skip
    csv_writer(tmp_path / "bitcoin" / "trips.csv", bitcoin)
    said = airflow.test_run({"data_root": str(tmp_path / "bitcoin")}, succeeds=False)
    third = airflow.runs()[-1]
    tasks = third["tasks"]
    assert third["state"] == "failed"
    assert tasks[P.EXAMPLE_GEN] == tasks[P.STATISTICS_GEN] == "success"
    assert tasks[P.DATA_GATE] == "failed"
    downstream = [P.TRANSFORM, P.TRAINER, P.EVALUATOR, P.PUSHER]
    assert {tasks[n] for n in downstream} == {"upstream_failed"}, tasks
    assert "DataGate stopped the run: the data is not fit to train on." in said
    assert "payment_type" in said and "--allow-anomalies payment_type" in said
    assert _versions(serving) == [version]

    # The wall time of each DAG run, for a person (docs/scaling.md quotes them).
    out = Path(__file__).resolve().parents[3] / "test-artifacts" / "airflow-runs.json"
    out.parent.mkdir(exist_ok=True)
    runs = [{k: r[k] for k in ("run_id", "state", "seconds")} for r in airflow.runs()]
    out.write_text(json.dumps({"rows": ROWS, "train_steps": int(STEPS), "runs": runs}, indent=1))


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--train-steps", "0"], "--train-steps must be at least 1"),
        (["--tune", "--tune-trials", "0"], "--tune-trials and --tune-steps must be at least 1"),
    ],
    ids=["train-steps", "tune-trials"],
)
def test_counts_below_one_are_refused_by_their_flags(tmp_path, capsys, flags, message):
    dags = tmp_path / "dags"
    assert main(["compile", "airflow", "--output", str(dags), *flags]) == 2
    assert message in capsys.readouterr().err
    assert not dags.exists()
