"""Beam runner selection: the arguments each runner gets, and the fail-fast errors."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline import beam_args as beam
from pipeline.beam_args import BeamArgsError, BeamSettings, beam_args

PICKLE = "--pickle_library=cloudpickle"
BATCH_BY_SIZE = "--tfxio_use_byte_size_batching"


def test_small_data_runs_in_one_in_memory_worker():
    assert beam_args(BeamSettings(), rows=15_002, cpus=8) == (
        "--direct_running_mode=in_memory",
        "--direct_num_workers=1",
        PICKLE,
        BATCH_BY_SIZE,
    )


def test_large_data_uses_one_process_per_cpu():
    rows = beam.DIRECT_IN_MEMORY_MAX_ROWS + 1
    assert beam_args(BeamSettings(), rows=rows, cpus=8) == (
        "--direct_running_mode=multi_processing",
        "--direct_num_workers=8",
        PICKLE,
        BATCH_BY_SIZE,
    )


def test_a_config_without_beam_args_gets_what_a_small_local_run_gets():
    from pipeline.config import PipelineConfig

    fields = {f.name: f for f in dataclasses.fields(PipelineConfig)}
    assert fields["beam_args"].default == beam_args(BeamSettings(), rows=15_002, cpus=2)
    assert BATCH_BY_SIZE in fields["beam_args"].default


def test_unknown_size_lets_beam_use_every_cpu_where_it_runs():
    assert beam.direct_defaults(None, None) == ("multi_processing", 0)


def test_the_users_direct_settings_win_over_the_size_rule():
    flags = BeamSettings(direct_running_mode="multi_threading", direct_num_workers=3)
    assert beam_args(flags, rows=10, cpus=8) == (
        "--direct_running_mode=multi_threading",
        "--direct_num_workers=3",
        PICKLE,
        BATCH_BY_SIZE,
    )
    via_beam_arg = BeamSettings(extra=("--direct_num_workers=2",))
    assert beam_args(via_beam_arg, rows=10, cpus=8) == (
        "--direct_running_mode=in_memory",
        PICKLE,
        BATCH_BY_SIZE,
        "--direct_num_workers=2",
    )


def test_a_pickler_given_with_beam_arg_wins():
    args = beam_args(BeamSettings(extra=("--pickle_library=dill",)), rows=10, cpus=2)
    assert "--pickle_library=dill" in args
    assert PICKLE not in args


@pytest.mark.parametrize(
    "given", ["--tfxio_use_byte_size_batching=false", "--notfxio_use_byte_size_batching"]
)
def test_batching_by_timing_can_be_asked_for_with_beam_arg(given):
    args = beam_args(BeamSettings(extra=(given,)), rows=10, cpus=2)
    assert args[-1] == given
    assert BATCH_BY_SIZE not in args


def test_flink_with_a_job_endpoint_and_the_worker_image():
    settings = BeamSettings(
        runner="flink",
        job_endpoint="flink-js:8099",
        worker_image="registry/taxi-tfx-worker:1",
        extra=("--parallelism=4",),
    )
    assert beam_args(settings) == (
        "--runner=FlinkRunner",
        "--job_endpoint=flink-js:8099",
        "--job_server_timeout=86400",
        "--environment_type=DOCKER",
        "--environment_config=registry/taxi-tfx-worker:1",
        PICKLE,
        BATCH_BY_SIZE,
        "--parallelism=4",
    )


def test_spark_with_a_local_job_server_jar_and_a_worker_pool(tmp_path):
    jar = tmp_path / "beam-runners-spark-job-server.jar"
    jar.write_bytes(b"PK")
    settings = BeamSettings(runner="spark", job_server_jar=str(jar), worker_pool="localhost:50000")
    assert beam_args(settings) == (
        "--runner=SparkRunner",
        f"--spark_job_server_jar={jar}",
        "--job_server_timeout=86400",
        "--environment_type=EXTERNAL",
        "--environment_config=localhost:50000",
        PICKLE,
        BATCH_BY_SIZE,
    )


def test_portable_keeps_an_environment_and_timeout_given_with_beam_arg():
    settings = BeamSettings(
        runner="portable",
        job_endpoint="localhost:8099",
        extra=("--environment_type=LOOPBACK", "--job_server_timeout=600"),
    )
    assert beam_args(settings) == (
        "--runner=PortableRunner",
        "--job_endpoint=localhost:8099",
        PICKLE,
        BATCH_BY_SIZE,
        "--environment_type=LOOPBACK",
        "--job_server_timeout=600",
    )


def test_dataflow_arguments():
    settings = BeamSettings(
        runner="dataflow",
        project="p",
        region="europe-west1",
        temp_location="gs://b/tmp",
        worker_image="europe-docker.pkg.dev/p/r/taxi-tfx-worker:1",
        extra=("--max_num_workers=20",),
    )
    assert beam_args(settings) == (
        "--runner=DataflowRunner",
        "--project=p",
        "--region=europe-west1",
        "--temp_location=gs://b/tmp",
        "--sdk_container_image=europe-docker.pkg.dev/p/r/taxi-tfx-worker:1",
        PICKLE,
        BATCH_BY_SIZE,
        "--max_num_workers=20",
    )


@pytest.mark.parametrize("runner", ["portable", "flink", "spark"])
def test_portable_runners_without_a_job_service_fail_fast(runner):
    with pytest.raises(BeamArgsError, match="needs --job-endpoint HOST:PORT") as e:
        beam_args(BeamSettings(runner=runner, worker_image="img"))
    assert "download a job-server jar" in str(e.value)
    assert ("--job-server-jar" in str(e.value)) == (runner != "portable")


def test_portable_workers_must_have_the_project():
    with pytest.raises(BeamArgsError, match="--worker-image IMAGE"):
        beam_args(BeamSettings(runner="flink", job_endpoint="localhost:8099"))


def test_a_missing_jar_is_reported(tmp_path):
    with pytest.raises(BeamArgsError, match="no such file"):
        beam_args(BeamSettings(runner="flink", job_server_jar=str(tmp_path / "x.jar")))


def test_dataflow_names_every_missing_setting():
    with pytest.raises(BeamArgsError) as e:
        beam_args(BeamSettings(runner="dataflow", project="p", worker_image="img"))
    message = str(e.value)
    assert "needs --project, --region and --temp-location" in message
    assert "missing: --region, --temp-location." in message


def test_dataflow_temp_location_must_be_on_cloud_storage():
    settings = BeamSettings(
        runner="dataflow", project="p", region="r", temp_location="/tmp", worker_image="img"
    )
    with pytest.raises(BeamArgsError, match="gs:// path"):
        beam_args(settings)


@pytest.mark.parametrize(
    "settings",
    [BeamSettings(runner="dask"), BeamSettings(extra=("--runner=DaskRunner",))],
    ids=["flag", "beam-arg"],
)
def test_dask_is_refused_with_the_reason(settings):
    with pytest.raises(BeamArgsError, match=r"refused: .*writes 0 records"):
        beam_args(settings)


def test_the_runner_is_chosen_by_flag_not_by_beam_arg():
    with pytest.raises(BeamArgsError, match="choose the runner with --beam-runner"):
        beam_args(BeamSettings(extra=("--runner=FlinkRunner",)))


def test_direct_only_flags_are_refused_elsewhere():
    with pytest.raises(BeamArgsError, match="--direct-num-workers applies to --beam-runner direct"):
        beam_args(BeamSettings(runner="flink", job_endpoint="h:1", direct_num_workers=2))
    with pytest.raises(
        BeamArgsError, match="--job-endpoint applies to --beam-runner portable or flink or spark"
    ):
        beam_args(BeamSettings(job_endpoint="h:1"))


@pytest.mark.parametrize(
    ("runner", "flag", "value"),
    [
        ("direct", "project", "p"),
        ("direct", "worker_image", "img"),
        ("flink", "temp_location", "gs://b/t"),
        ("dataflow", "worker_pool", "h:1"),
        ("portable", "job_server_jar", "x.jar"),
    ],
)
def test_a_flag_for_another_runner_is_refused(runner, flag, value):
    """Given without the runner it is for, a flag means a forgotten --beam-runner."""
    with pytest.raises(BeamArgsError, match=f"--{flag.replace('_', '-')} applies to"):
        beam_args(BeamSettings(runner=runner, **{flag: value}))
