"""The pipeline as an Airflow DAG.

`compile_airflow` writes a DAG module into Airflow's dags folder; when the
scheduler parses it, the module rebuilds the same `PipelineConfig` and calls
`build_dag`, which runs `create_pipeline(config)` with TFX's AirflowDagRunner.
`python -m pipeline compile airflow` is the command.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
from pathlib import Path

from pipeline.beam_args import beam_args
from pipeline.config import DatasetSpec, EvalThresholds, PipelineConfig
from pipeline.inputs import check_data_root
from pipeline.runners.beam_flags import settings_from_args
from pipeline.runners.configs import load_dataset, local_config


def build_dag(
    config: PipelineConfig,
    *,
    schedule: str | None = None,
    start_date: datetime.datetime = datetime.datetime(2024, 1, 1),
):
    """An Airflow DAG running `create_pipeline(config)` with TFX's AirflowDagRunner.

    `schedule=None` means runs are triggered by hand (or the API); catch-up is
    off so a new schedule does not replay every interval since `start_date`.
    """
    from tfx.orchestration.airflow.airflow_dag_runner import (
        AirflowDagRunner,
        AirflowPipelineConfig,
    )

    from pipeline.pipeline import create_pipeline

    dag_config = {"schedule": schedule, "start_date": start_date, "catchup": False}
    return AirflowDagRunner(AirflowPipelineConfig(airflow_dag_config=dag_config)).run(
        create_pipeline(config)
    )


def _render_value(value) -> str:
    """Source that rebuilds `value`; pydantic models (the dataset, its thresholds) as JSON."""
    if isinstance(value, DatasetSpec):
        return f"DatasetSpec.from_json({value.to_json()!r})"
    if isinstance(value, EvalThresholds):
        return f"EvalThresholds.model_validate_json({value.model_dump_json()!r})"
    return repr(value)


def _render_config(config: PipelineConfig) -> str:
    fields = "".join(
        f"    {f.name}={_render_value(getattr(config, f.name))},\n"
        for f in dataclasses.fields(config)
        if f.name != "code_fingerprint"
    )
    # The code installed where the DAG runs, so that editing it reruns Transform
    # and Trainer instead of reusing their cached outputs.
    return f"PipelineConfig(\n{fields}    code_fingerprint=code_fingerprint(),\n)"


_AIRFLOW_MODULE = '''"""Airflow DAG of the {name} pipeline.

Written by `python -m pipeline compile airflow`.
Regenerate it instead of editing it. It needs the taxi-tfx project installed in
the environment of the Airflow scheduler and workers.
"""

import datetime

from models.keras_version import use_keras_2

# Parsing this file imports TensorFlow, which reads the Keras choice once.
use_keras_2()

from pipeline.config import (  # noqa: E402, F401
    AttributionsConfig,
    DatasetSpec,
    DriftThresholds,
    EvalThresholds,
    FairnessConfig,
    GateConfig,
    PipelineConfig,
    Provenance,
    TuningConfig,
)
from pipeline.fingerprints import code_fingerprint  # noqa: E402
from pipeline.runners.airflow import build_dag  # noqa: E402

CONFIG = {config}

dag = build_dag(CONFIG, schedule={schedule!r}, start_date={start!r})
'''


def render_airflow_module(
    config: PipelineConfig, schedule: str | None, start_date: datetime.datetime
) -> str:
    """Source of a DAG module that rebuilds `config` and calls `build_dag` on it."""
    return _AIRFLOW_MODULE.format(
        name=config.pipeline_name,
        config=_render_config(config),
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
    )


def compile_airflow(config: PipelineConfig, output_dir: Path, schedule: str | None = None) -> Path:
    """Write `<output_dir>/<pipeline_name>_dag.py`."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{config.pipeline_name.replace('-', '_')}_dag.py"
    source = render_airflow_module(config, schedule, datetime.datetime(2024, 1, 1))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(source)
    # Atomic: the scheduler may parse the folder while it is being written.
    os.replace(tmp, path)
    return path
