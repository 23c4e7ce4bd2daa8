"""`python -m pipeline compile`: the Kubeflow V2 spec and the Airflow DAG, offline.

The Kubeflow golden file is the compiled spec with versions, labels and the code
fingerprint stripped; after an intended change to the pipeline, rewrite it with
`UPDATE_GOLDEN=1 pytest tests/pipeline/cli/test_compile.py` and review the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import taxi_facts
from google.protobuf import json_format

from pipeline import steps as P
from pipeline.cli import main

GOLDEN = Path(__file__).parent / "golden" / "kubeflow_v2_pipeline.json"
PROJECT = Path(__file__).resolve().parents[3]
IMAGE = "registry.example/taxi-tfx-worker:test"
KFP_FLAGS = (
    "--pipeline-root", "gs://bucket/taxi", "--data-root", "gs://bucket/data",
    "--serving-dir", "/gcs/bucket/serving", "--image", IMAGE,
)  # fmt: skip
COMPONENTS = [
    P.EXAMPLE_GEN, P.STATISTICS_GEN, P.SCHEMA_GEN, P.EXAMPLE_VALIDATOR, P.DATA_GATE,
    P.TRANSFORM, P.TRAINER, P.EVALUATOR, P.SKILL_CHECK, P.FAIRNESS_CHECK, P.ATTRIBUTIONS,
    P.PUSHER,
]  # fmt: skip


@pytest.fixture(scope="module")
def kfp_spec(tmp_path_factory) -> Path:
    pytest.importorskip("kfp", reason="the kubeflow dependency group (make test installs it)")
    output = tmp_path_factory.mktemp("kfp") / "pipeline.json"
    assert main(["compile", "kubeflow-v2", "--output", str(output), *KFP_FLAGS]) == 0
    return output


def _normalized(job: dict) -> dict:
    """The spec without what changes with versions and code edits."""
    from pipeline.fingerprints import code_fingerprint
    from pipeline.runners.configs import load_dataset

    job = json.loads(json.dumps(job))
    job.pop("labels")
    job["pipelineSpec"].pop("sdkVersion")
    # The fingerprint of models/ (and the dataset's hooks) sits in Transform's and
    # Trainer's custom_config.
    fingerprint = code_fingerprint(modules=(load_dataset("taxi").spec.hooks,))
    text = json.dumps(job, sort_keys=True).replace(fingerprint, "<code-fingerprint>")
    return json.loads(text)


def test_the_spec_parses_strictly_into_the_pipeline_spec_proto(kfp_spec):
    from kfp.pipeline_spec import pipeline_spec_pb2

    job = json_format.Parse(kfp_spec.read_text(), pipeline_spec_pb2.PipelineJob())
    assert job.display_name == "taxi"
    assert job.runtime_config.gcs_output_directory == "gs://bucket/taxi"
    spec = json_format.ParseDict(
        json_format.MessageToDict(job.pipeline_spec), pipeline_spec_pb2.PipelineSpec()
    )
    assert spec.pipeline_info.name == "taxi"
    deployment = json_format.ParseDict(
        json_format.MessageToDict(spec.deployment_spec),
        pipeline_spec_pb2.PipelineDeploymentConfig(),
    )
    tasks = spec.root.dag.tasks
    assert set(COMPONENTS) <= set(tasks)
    for name, task in tasks.items():
        component = spec.components[task.component_ref.name]
        assert component.executor_label in deployment.executors, name
        for upstream in task.dependent_tasks:
            assert upstream in tasks, (name, upstream)
    for name in COMPONENTS:
        container = deployment.executors[spec.components[name].executor_label].container
        assert container.image == IMAGE


def test_the_spec_matches_the_golden_file(kfp_spec):
    actual = _normalized(json.loads(kfp_spec.read_text()))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(json.dumps(actual, indent=1, sort_keys=True) + "\n")
    assert actual == json.loads(GOLDEN.read_text())


def test_the_yaml_ir_loads_as_a_kfp_component(kfp_spec):
    from kfp import components

    component = components.load_component_from_file(str(kfp_spec.with_suffix(".yaml")))
    assert component.name == "taxi"


def test_beam_runner_flags_reach_every_beam_component(tmp_path):
    pytest.importorskip("kfp")
    output = tmp_path / "pipeline.json"
    flags = [*KFP_FLAGS, "--beam-runner", "dataflow", "--project", "p", "--region", "r",
             "--temp-location", "gs://bucket/tmp"]  # fmt: skip
    assert main(["compile", "kubeflow-v2", "--output", str(output), *flags]) == 0
    executors = json.loads(output.read_text())["pipelineSpec"]["deploymentSpec"]["executors"]
    args = executors["Transform_executor"]["container"]["args"]
    assert "--runner=DataflowRunner" in args
    # Dataflow workers get the image the components already run in.
    assert f"--sdk_container_image={IMAGE}" in args


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--pipeline-root", "outputs/x"], "--pipeline-root 'outputs/x': give a URI"),
        (["--serving-dir", "gs://bucket/serving"], "needs an absolute path on a mounted"),
        (["--beam-runner", "flink"], "needs --job-endpoint"),
    ],
    ids=["relative-root", "object-store-serving-dir", "flink-without-job-service"],
)
def test_unusable_kubeflow_flags_are_refused(tmp_path, capsys, flags, message):
    output = tmp_path / "pipeline.json"
    assert main(["compile", "kubeflow-v2", "--output", str(output), *KFP_FLAGS, *flags]) == 2
    assert message in capsys.readouterr().err
    assert not output.exists()


_LOAD_DAGBAG = textwrap.dedent(
    """
    import json, sys
    from airflow.models import DagBag

    bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
    dag = bag.dags.get("taxi")  # get_dag() would query the Airflow database
    print(json.dumps({
        "errors": {k: str(v) for k, v in bag.import_errors.items()},
        "dags": sorted(bag.dag_ids),
        "upstream": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks} if dag else {},
        "schedule": str(dag.timetable.summary) if dag else None,
    }))
    """
)


def test_the_airflow_dag_loads_with_the_pipeline_task_graph(tmp_path):
    pytest.importorskip("airflow", reason="the airflow dependency group (make test installs it)")
    dags = tmp_path / "dags"
    root = tmp_path / "pipeline"
    flags = ["--output", str(dags), "--pipeline-root", str(root),
             "--serving-dir", str(tmp_path / "serving")]  # fmt: skip
    assert main(["compile", "airflow", *flags]) == 0
    module = dags / "taxi_dag.py"
    assert str(root) in module.read_text()
    # A fresh interpreter with its own AIRFLOW_HOME: Airflow reads its configuration
    # (and would create ~/airflow) at import.
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path / "airflow"), "PYTHONPATH": str(PROJECT)}
    env["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    # Importing TFX takes ~20 s on two idle cores, over Airflow's default of 30 s when busy.
    env["AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT"] = "300"
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_DAGBAG, str(dags)],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["errors"] == {}
    assert loaded["dags"] == ["taxi"]
    assert loaded["schedule"] == "None"
    upstream = loaded["upstream"]
    assert set(upstream) == {*COMPONENTS, P.BASELINE_RESOLVER, P.ACCEPTED_DATA_RESOLVER}
    assert upstream[P.EXAMPLE_GEN] == []
    assert upstream[P.STATISTICS_GEN] == [P.EXAMPLE_GEN]
    assert upstream[P.EXAMPLE_VALIDATOR] == sorted([P.STATISTICS_GEN, P.SCHEMA_GEN])
    # The gate reads the train split's labels from ExampleGen's examples.
    gate_inputs = [P.EXAMPLE_GEN, P.STATISTICS_GEN, P.SCHEMA_GEN, P.EXAMPLE_VALIDATOR]
    assert upstream[P.DATA_GATE] == sorted([*gate_inputs, P.ACCEPTED_DATA_RESOLVER])
    assert upstream[P.TRANSFORM] == sorted([P.EXAMPLE_GEN, P.SCHEMA_GEN, P.DATA_GATE])
    assert upstream[P.TRAINER] == sorted([P.TRANSFORM, P.SCHEMA_GEN])
    assert P.BASELINE_RESOLVER in upstream[P.EVALUATOR]
    assert upstream[P.SKILL_CHECK] == sorted([P.EVALUATOR, P.TRAINER, P.EXAMPLE_GEN])
    assert upstream[P.FAIRNESS_CHECK] == sorted([P.EVALUATOR, P.SKILL_CHECK, P.TRAINER])
    assert upstream[P.ATTRIBUTIONS] == sorted([P.TRAINER, P.EXAMPLE_GEN])
    assert upstream[P.PUSHER] == sorted(
        [P.EVALUATOR, P.TRAINER, P.EXAMPLE_GEN, P.SKILL_CHECK, P.FAIRNESS_CHECK,
         P.ATTRIBUTIONS, P.STATISTICS_GEN, P.SCHEMA_GEN]
    )  # fmt: skip


def test_the_airflow_module_rebuilds_the_same_config(tmp_path):
    from pipeline.config import FairnessConfig, PipelineConfig, Provenance, TuningConfig
    from pipeline.runners.airflow import render_airflow_module

    config = PipelineConfig(
        pipeline_name="taxi", pipeline_root="/p", data_root="/d", schema_path="/s.pbtxt",
        serving_dir="/srv", metadata_path="/p/metadata.sqlite", train_steps=7,
        dataset=taxi_facts.spec(), beam_args=("--direct_num_workers=1",),
        tuning=TuningConfig(enabled=True, max_trials=3),
        fairness=FairnessConfig(blocking=True, extra_slice_features=("trip_start_hour",)),
        provenance=Provenance(git_commit="abc", git_dirty=True, data_files=(("a.csv", "00"),)),
    )  # fmt: skip
    import datetime

    source = render_airflow_module(config, "@daily", datetime.datetime(2024, 1, 1))
    config_source = source.split("CONFIG = ", 1)[1].split("\n)\n", 1)[0] + "\n)"
    from pipeline import config as C

    # Our own generated source, evaluated to prove it rebuilds the config.
    names = ("PipelineConfig", "EvalThresholds", "GateConfig", "DriftThresholds", "DatasetSpec",
             "TuningConfig", "FairnessConfig", "AttributionsConfig", "Provenance")  # fmt: skip
    rebuilt = eval(
        config_source,
        {**{name: getattr(C, name) for name in names}, "code_fingerprint": lambda: ""},
    )
    assert rebuilt == config
    assert "schedule='@daily'" in source
