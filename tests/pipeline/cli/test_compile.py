"""`python -m pipeline compile kubeflow-v2`: the spec, offline (Airflow: runners/test_airflow.py).

The Kubeflow golden file is the compiled spec with versions, labels and the code
fingerprint stripped; after an intended change to the pipeline, rewrite it with
`UPDATE_GOLDEN=1 pytest tests/pipeline/cli/test_compile.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
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
