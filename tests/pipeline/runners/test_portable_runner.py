"""The data components through Beam's PortableRunner, as on Flink or Spark.

The job service is Beam's own Python one (local_job_service_main) and the
workers an external pool (worker_pool_main), both started here: the same
protocol a Flink or Spark job server speaks, without a JVM or a jar download.
The pipeline's first components (ExampleGen, StatisticsGen, ImportSchemaGen,
ExampleValidator, Transform) run on a 300-row sample once with DirectRunner and
once through the portable runner, and must give the same records and statistics.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tensorflow as tf
import tensorflow_data_validation as tfdv
from tfx import v1 as tfx
from tfx.orchestration.pipeline import RunOptions

from pipeline import steps as P
from pipeline.beam_args import BeamSettings, beam_args
from pipeline.pipeline import create_pipeline
from pipeline.runners.configs import local_config
from schemas import packaged_schema

pytestmark = pytest.mark.e2e
PROJECT = Path(__file__).resolve().parents[3]
ROWS = 300


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _wait_for(port: int, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("localhost", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"nothing listens on {port} after {timeout} s:\n{log.read_text()[-3000:]}")


def _start(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    # A session of its own, so the pool's worker subprocesses are stopped with it.
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@pytest.fixture(scope="module")
def portable_services(tmp_path_factory):
    """HOST:PORT of a Beam job service and of an external worker pool."""
    logs = tmp_path_factory.mktemp("beam-services")
    env = {
        **os.environ,
        # Workers import preprocessing_fn by module name: TFX's extra-package
        # wheel is never installed by a bare worker, so the project must be on
        # their path. The pool starts workers as `python`, so this venv first.
        "PYTHONPATH": str(PROJECT),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    job_port, pool_port = _free_port(), _free_port()
    procs = [
        _start(
            ["apache_beam.runners.portability.local_job_service_main", "--port", str(job_port),
             "--staging_dir", str(logs / "staging")],
            logs / "job_service.log", env,
        ),
        _start(
            ["apache_beam.runners.worker.worker_pool_main", "--service_port", str(pool_port)],
            logs / "worker_pool.log", env,
        ),
    ]  # fmt: skip
    try:
        _wait_for(job_port, procs[0], logs / "job_service.log")
        _wait_for(pool_port, procs[1], logs / "worker_pool.log")
        yield f"localhost:{job_port}", f"localhost:{pool_port}"
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory, sample_csv) -> Path:
    data = tmp_path_factory.mktemp("tiny-data")
    lines = sample_csv.read_text().splitlines()[: ROWS + 1]
    (data / "data.csv").write_text("\n".join(lines) + "\n")
    return data


def _run_data_components(root: Path, data: Path, args: tuple[str, ...]) -> Path:
    config = local_config(
        pipeline_name="portable",
        pipeline_root=root,
        data_root=data,
        schema=packaged_schema(),
        serving_dir=root / "serving",
        beam_args=args,
    )
    argv, sys.argv = sys.argv, sys.argv[:1]  # see pipeline.runners.local.run_pipeline
    try:
        tfx.orchestration.LocalDagRunner().run(
            create_pipeline(config),
            run_options=RunOptions(to_nodes=[P.TRANSFORM, P.EXAMPLE_VALIDATOR]),
        )
    finally:
        sys.argv = argv
    return root


def _records(folder: Path) -> int:
    files = [str(p) for p in folder.glob("*.gz")]
    return sum(1 for _ in tf.data.TFRecordDataset(files, compression_type="GZIP"))


def _split_counts(root: Path, component: str, output: str) -> dict[str, int]:
    (artifact,) = (root / component / output).iterdir()
    return {p.name: _records(p) for p in sorted(artifact.glob("Split-*"))}


def _statistics(root: Path) -> dict[str, dict]:
    (artifact,) = (root / P.STATISTICS_GEN / "statistics").iterdir()
    result = {}
    for split in sorted(artifact.glob("Split-*")):
        stats = tfdv.load_stats_binary(str(split / "FeatureStats.pb")).datasets[0]
        summary = {"num_examples": stats.num_examples}
        for feature in stats.features:
            name = feature.path.step[0]
            if feature.HasField("num_stats"):
                n = feature.num_stats
                summary[name] = (n.common_stats.num_non_missing, n.min, n.max, round(n.mean, 6))
            else:
                s = feature.string_stats
                summary[name] = (s.common_stats.num_non_missing, s.unique)
        result[split.name] = summary
    return result


@pytest.fixture(scope="module")
def direct_run(tmp_path_factory, tiny_data) -> Path:
    args = beam_args(BeamSettings(), rows=ROWS, cpus=1)
    return _run_data_components(tmp_path_factory.mktemp("direct"), tiny_data, args)


@pytest.fixture(scope="module")
def portable_run(tmp_path_factory, tiny_data, portable_services) -> Path:
    job_endpoint, worker_pool = portable_services
    args = beam_args(
        BeamSettings(runner="portable", job_endpoint=job_endpoint, worker_pool=worker_pool)
    )
    assert "--runner=PortableRunner" in args and "--environment_type=EXTERNAL" in args
    return _run_data_components(tmp_path_factory.mktemp("portable"), tiny_data, args)


def test_examples_are_split_identically(direct_run, portable_run):
    direct = _split_counts(direct_run, P.EXAMPLE_GEN, "examples")
    assert sum(direct.values()) == ROWS
    assert set(direct) == {"Split-train", "Split-validation", "Split-eval"}
    assert _split_counts(portable_run, P.EXAMPLE_GEN, "examples") == direct


def test_statistics_are_the_same(direct_run, portable_run):
    direct = _statistics(direct_run)
    assert direct["Split-train"]["num_examples"] > 0
    assert _statistics(portable_run) == direct


def test_transform_ran_on_the_workers_with_the_same_output(direct_run, portable_run):
    direct = _split_counts(direct_run, P.TRANSFORM, "transformed_examples")
    assert sum(direct.values()) == ROWS
    assert _split_counts(portable_run, P.TRANSFORM, "transformed_examples") == direct
