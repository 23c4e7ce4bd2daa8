"""`python -m pipeline run-node`: bad input is refused before anything runs (exit 2),
naming what is wrong; a node whose inputs are not in the run fails saying so."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import steps as P
from pipeline.cli import main
from pipeline.runners import ir as pipeline_ir


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, sample_csv) -> Path:
    """A pipeline compiled for Airflow on 300 taxi rows: its IR file."""
    home = tmp_path_factory.mktemp("compiled")
    (home / "data").mkdir()
    lines = sample_csv.read_text().splitlines(keepends=True)
    (home / "data" / "trips.csv").write_text("".join(lines[:301]))
    assert main(["compile", "airflow", "--output", str(home / "dags"),
                 "--pipeline-root", str(home / "pipeline"), "--serving-dir", str(home / "serving"),
                 "--data-root", str(home / "data")]) == 0  # fmt: skip
    return home / "dags" / f"taxi_dag{pipeline_ir.SUFFIX}"


def run_node(ir: Path, node: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", "run-node", "--ir", str(ir), "--node", node, *flags],
        capture_output=True, text=True, timeout=600, cwd=ir.parent,
    )  # fmt: skip


def said(result: subprocess.CompletedProcess) -> str:
    return " ".join(result.stdout.split())  # rich wraps long lines


def test_an_unknown_node_is_refused_with_the_node_ids(compiled):
    result = run_node(compiled, "Trainr", "--run-id", "r1")
    assert result.returncode == 2, result.stderr[-2000:]
    assert "no node 'Trainr' in pipeline 'taxi'; its nodes are CsvExampleGen," in said(result)


def test_a_file_that_is_not_a_compiled_pipeline_is_refused(tmp_path):
    bad = tmp_path / "taxi_dag.ir.pb"
    bad.write_bytes(b"\xff\xfe not a proto")
    result = run_node(bad, P.EXAMPLE_GEN, "--run-id", "r1")
    assert result.returncode == 2
    assert f"{bad}: not a compiled pipeline" in said(result)
    result = run_node(tmp_path / "missing.ir.pb", P.EXAMPLE_GEN, "--run-id", "r1")
    assert result.returncode == 2 and "cannot read the compiled pipeline" in said(result)


def test_an_ir_compiled_for_other_code_is_refused(compiled, tmp_path):
    ir = pipeline_ir.read_ir(compiled)
    pusher = pipeline_ir.node(ir, P.PUSHER).parameters.parameters["provenance"].field_value
    pusher.string_value = json.dumps({**json.loads(pusher.string_value), "code_fingerprint": "0"})
    stale = pipeline_ir.write_ir(ir, tmp_path / "stale.ir.pb")
    result = run_node(stale, P.TRANSFORM, "--run-id", "r1")
    assert result.returncode == 2
    assert "compiled with models/ (and dataset hooks) at fingerprint 0" in said(result)
    assert "compile the pipeline again" in said(result)


def test_a_bad_data_root_for_one_run_names_the_file_and_column(
    compiled, tmp_path, sample_rows, csv_writer
):
    rows = [{**r, "fare": "lots"} if i == 7 else r for i, r in enumerate(sample_rows[:50])]
    csv_writer(tmp_path / "bad" / "trips.csv", rows)
    result = run_node(compiled, P.EXAMPLE_GEN, "--run-id", "r1", "--data-root",
                      str(tmp_path / "bad"))  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert "trips.csv" in said(result) and "'fare'" in said(result)


@pytest.mark.e2e
def test_a_node_whose_inputs_are_not_in_the_run_fails_saying_so(compiled):
    result = run_node(compiled, P.STATISTICS_GEN, "--run-id", "never-ran-example-gen")
    assert result.returncode == 1
    assert "its inputs are not in this run; run its upstream tasks first" in said(result)
    assert "Nothing new was pushed" in said(result)


DATA_STEPS = (P.EXAMPLE_GEN, P.SCHEMA_GEN, P.STATISTICS_GEN, P.ACCEPTED_DATA_RESOLVER,
              P.EXAMPLE_VALIDATOR)  # fmt: skip


@pytest.mark.e2e
def test_the_gates_remedy_works_for_one_run(compiled, tmp_path, sample_rows, csv_writer):
    """The gate refuses an unknown payment type (exit 3, the remedy printed); the same
    run's DataGate again with the printed --allow-anomalies passes; a misspelt name is
    refused before anything runs."""
    bitcoin = [{**r, "payment_type": "Bitcoin"} if i % 10 == 0 else r
               for i, r in enumerate(sample_rows[:300])]  # fmt: skip
    data = str(csv_writer(tmp_path / "bitcoin" / "trips.csv", bitcoin).parent)
    run = ("--run-id", "bitcoin-run", "--data-root", data)
    for node in DATA_STEPS:
        result = run_node(compiled, node, *run)
        assert result.returncode == 0, (node, result.stdout, result.stderr[-3000:])

    blocked = run_node(compiled, P.DATA_GATE, *run)
    assert blocked.returncode == 3, blocked.stdout + blocked.stderr[-3000:]
    assert "DataGate stopped the run: the data is not fit to train on." in blocked.stdout
    assert "--allow-anomalies payment_type" in blocked.stdout
    assert '{"allow_anomalies": "FEATURES"}' in blocked.stdout

    misspelt = run_node(compiled, P.DATA_GATE, *run, "--allow-anomalies", "paymnt_type")
    assert misspelt.returncode == 2
    assert "did you mean 'payment_type'?" in said(misspelt)

    accepted = run_node(compiled, P.DATA_GATE, *run, "--allow-anomalies", "payment_type")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr[-3000:]
    assert "DataGate" in accepted.stdout and "executed" in accepted.stdout
