"""The pipeline as an Airflow DAG: one task per node of the compiled pipeline.

`compile_airflow` compiles `create_pipeline(config)` to TFX's intermediate
representation (`pipeline.runners.ir`) and writes it beside a DAG module that
imports only Airflow and the standard library: the scheduler re-parses DAG
files every 30 s by default, and parsing this one never loads TensorFlow or
TFX. Each task runs `python -m pipeline run-node` for its node in a process of
its own, so any executor (Sequential, Local, Celery, Kubernetes) runs it.
`python -m pipeline compile airflow` is the command.
"""

from __future__ import annotations

import argparse
import datetime
import os
from pathlib import Path

from pipeline.beam_args import beam_args
from pipeline.config import PipelineConfig, TuningConfig
from pipeline.inputs import check_data_root
from pipeline.runners import ir as pipeline_ir
from pipeline.runners.beam_flags import settings_from_args
from pipeline.runners.configs import load_dataset, local_config

START_DATE = datetime.datetime(2024, 1, 1)

_AIRFLOW_MODULE = '''"""Airflow DAG of the {name} pipeline: one task per pipeline node.

Written by `python -m pipeline compile airflow`; regenerate it instead of
editing it. Parsing this file imports only Airflow and the standard library.
Each task runs `python -m pipeline run-node` on {ir_name}, the compiled
pipeline beside this file, with the Python that parses it: the project must be
installed in the environment of the Airflow workers.
"""

import datetime
import pathlib
import shlex
import sys

from airflow import DAG
from airflow.models.param import Param
from airflow.operators.bash import BashOperator

IR = pathlib.Path(__file__).with_name({ir_name!r})
# Node id -> its upstream node ids, in the pipeline's order.
NODES = {nodes}
# Rendered by Airflow per run: the run id all tasks share, and the data to read.
ENV = {{
    "PIPELINE_RUN_ID": "{{{{ run_id }}}}",
    "PIPELINE_DATA_ROOT": "{{{{ params.data_root }}}}",
    "PIPELINE_ALLOW_ANOMALIES": "{{{{ params.allow_anomalies }}}}",
}}


def _command(node):
    return " ".join(
        [
            shlex.quote(sys.executable), "-m", "pipeline", "run-node",
            "--ir", shlex.quote(str(IR)), "--node", shlex.quote(node),
            \'--run-id "$PIPELINE_RUN_ID" --data-root "$PIPELINE_DATA_ROOT"\',
            \'--allow-anomalies "$PIPELINE_ALLOW_ANOMALIES"\',
        ]
    )


with DAG(
    dag_id={dag_id!r},
    schedule={schedule!r},
    start_date={start!r},
    catchup=False,
    # One run at a time: the runs share the pipeline root and its ML Metadata store.
    max_active_runs=1,
    params={{
        "data_root": Param(
            {data_root!r},
            type="string",
            description="the folder of CSV files this run reads; a run\'s conf "
            "(data_root) overrides it",
        ),
        "allow_anomalies": Param(
            "",
            type="string",
            description="comma-separated features whose data gate findings this run "
            "accepts, after review (the gate prints them when it blocks a run)",
        ),
    }},
    tags=["tfx"],
    doc_md=__doc__,
) as dag:
    tasks = {{
        node: BashOperator(task_id=node, bash_command=_command(node), env=ENV, append_env=True)
        for node in NODES
    }}
    for node, upstream in NODES.items():
        for each in upstream:
            tasks[each] >> tasks[node]
'''


def render_airflow_module(
    *,
    dag_id: str,
    ir_name: str,
    nodes: dict[str, tuple[str, ...]],
    data_root: str,
    schedule: str | None,
    start_date: datetime.datetime = START_DATE,
) -> str:
    """Source of a DAG module with one task per node of `nodes` (id -> upstream ids)."""
    return _AIRFLOW_MODULE.format(
        name=dag_id,
        dag_id=dag_id,
        ir_name=ir_name,
        nodes="{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in nodes.items()) + "}",
        data_root=data_root,
        schedule=schedule,
        start=start_date,
    )


def airflow_config(args: argparse.Namespace) -> PipelineConfig:
    """The PipelineConfig an Airflow DAG is compiled from (local or shared paths)."""
    dataset = load_dataset(args.dataset, args.schema)
    data_root = Path(args.data_root or dataset.data_root).resolve()
    # The workers read the same paths, so the data can be checked and sized here.
    data = check_data_root(
        data_root, dataset.schema, dataset.spec.missing_values, dataset.spec.file_pattern
    )
    return local_config(
        dataset=dataset,
        pipeline_name=args.pipeline_name,
        pipeline_root=args.pipeline_root,
        data_root=data_root,
        serving_dir=args.serving_dir,
        **({"model_name": args.model_name} if args.model_name else {}),
        train_steps=args.train_steps,
        beam_args=beam_args(settings_from_args(args), rows=data.rows, cpus=os.cpu_count()),
        tuning=TuningConfig(
            enabled=args.tune, max_trials=args.tune_trials, steps_per_trial=args.tune_steps
        ),
    )


def compile_airflow(
    config: PipelineConfig, output_dir: Path, schedule: str | None = None
) -> tuple[Path, Path]:
    """Write `<output_dir>/<name>_dag.py` and the compiled pipeline beside it."""
    stem = config.pipeline_name.replace("-", "_") + "_dag"
    ir = pipeline_ir.compile_ir(config)
    ir_path = pipeline_ir.write_ir(ir, output_dir / (stem + pipeline_ir.SUFFIX))
    source = render_airflow_module(
        dag_id=config.pipeline_name,
        ir_name=ir_path.name,
        nodes=pipeline_ir.task_graph(ir),
        data_root=config.data_root,
        schedule=schedule,
    )
    path = output_dir / f"{stem}.py"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(source)
    # The IR first, then the module: the scheduler may parse the folder meanwhile.
    os.replace(tmp, path)
    return path, ir_path
