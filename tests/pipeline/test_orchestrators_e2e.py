"""`run_local.py --orchestrator beam` against the default LocalDagRunner, end to end.

Both run the whole pipeline from the command line on the same small sample with
few training steps; ML Metadata must record the same components and output
artifacts, the same split sizes, the same evaluation and the same push decision.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import ml_metadata as mlmd
import pytest
from ml_metadata.proto import metadata_store_pb2
from tfx import v1 as tfx

from pipeline import steps as P
from pipeline.config import PipelineConfig
from pipeline.metadata.store import latest_run as latest_run_context
from pipeline.metadata.summary import summarize_latest_run

pytestmark = pytest.mark.e2e
PROJECT = Path(__file__).resolve().parents[2]
ROWS = 3000


@pytest.fixture(scope="module")
def small_data(tmp_path_factory, sample_csv) -> Path:
    data = tmp_path_factory.mktemp("small-data")
    lines = sample_csv.read_text().splitlines()[: ROWS + 1]
    (data / "data.csv").write_text("\n".join(lines) + "\n")
    return data


def _run(orchestrator: str, root: Path, data: Path) -> PipelineConfig:
    result = subprocess.run(
        [sys.executable, str(PROJECT / "run_local.py"), "--orchestrator", orchestrator,
         "--data-root", str(data), "--pipeline-root", str(root / "pipeline"),
         "--serving-dir", str(root / "serving"), "--train-steps", "200"],
        capture_output=True, text=True, timeout=1200, cwd=PROJECT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    # One progress line per component, whichever runner logged it.
    for component in (P.EXAMPLE_GEN, P.TRANSFORM, P.TRAINER, P.EVALUATOR):
        assert f"✓ {component}" in result.stdout, result.stdout
    return PipelineConfig(
        pipeline_name="taxi",
        pipeline_root=str(root / "pipeline"),
        data_root=str(data),
        schema_path="",
        serving_dir=str(root / "serving"),
        metadata_path=str(root / "pipeline" / "metadata.sqlite"),
    )


def _outputs(config: PipelineConfig) -> dict[str, tuple]:
    """Component id -> (state, sorted (output key, artifact type) pairs) of the latest run."""
    store = mlmd.MetadataStore(
        tfx.orchestration.metadata.sqlite_metadata_connection_config(config.metadata_path)
    )
    run = latest_run_context(store, config.pipeline_name)
    types = {t.id: t.name for t in store.get_artifact_types()}
    result = {}
    for execution in store.get_executions_by_context(run.id):
        node = next(
            c.name.split(".", 1)[1]
            for c in store.get_contexts_by_execution(execution.id)
            if c.name.startswith(config.pipeline_name + ".")
        )
        events = store.get_events_by_execution_ids([execution.id])
        outputs = [e for e in events if e.type == metadata_store_pb2.Event.OUTPUT]
        artifacts = {a.id: a for a in store.get_artifacts_by_id([e.artifact_id for e in outputs])}
        result[node] = (
            execution.last_known_state,
            sorted((e.path.steps[0].key, types[artifacts[e.artifact_id].type_id]) for e in outputs),
        )
    return result


@pytest.fixture(scope="module")
def both_runs(tmp_path_factory, small_data):
    local = _run("local", tmp_path_factory.mktemp("local"), small_data)
    beam = _run("beam", tmp_path_factory.mktemp("beam"), small_data)
    return local, beam


def test_the_same_components_produce_the_same_artifacts(both_runs):
    local, beam = both_runs
    outputs = _outputs(local)
    assert {P.EXAMPLE_GEN, P.TRANSFORM, P.TRAINER, P.EVALUATOR, P.PUSHER} <= set(outputs)
    assert all(state == metadata_store_pb2.Execution.COMPLETE for state, _ in outputs.values())
    assert _outputs(beam) == outputs


def test_the_same_splits_evaluation_and_push_decision(both_runs):
    local, beam = (summarize_latest_run(c) for c in both_runs)
    assert sum(local.split_rows.values()) == ROWS
    assert beam.split_rows == local.split_rows
    assert beam.anomalies == local.anomalies
    assert beam.blessed == local.blessed
    assert (beam.pushed_version is None) == (local.pushed_version is None)
    # Same seed and data; allow for float reduction order across runners.
    assert set(beam.metrics) == set(local.metrics)
    for name, value in local.metrics.items():
        assert beam.metrics[name] == pytest.approx(value, abs=0.02), name
