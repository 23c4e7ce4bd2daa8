"""The Airflow DAG of the pipeline: what a DAG module written by
`python -m pipeline compile airflow` calls when the scheduler parses it."""

from __future__ import annotations

import datetime

from pipeline.config import PipelineConfig


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
