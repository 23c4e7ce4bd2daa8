"""In-process Beam settings: what TFX's Beam executors do with the runner's arguments."""

from __future__ import annotations

import sys
import tempfile

import pytest
from absl import flags
from tfx.components.statistics_gen.executor import Executor as StatisticsGenExecutor
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.utils import dependency_utils
from tfx_bsl.coders import batch_util

from pipeline.beam_args import BeamSettings, beam_args
from pipeline.runners import beam_in_process


@pytest.fixture
def executor_args(monkeypatch, tmp_path):
    """The Beam arguments a real TFX executor ends up with, building into tmp_path."""
    monkeypatch.setattr(
        dependency_utils, "make_beam_dependency_flags", dependency_utils.make_beam_dependency_flags
    )
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    # The executor parses sys.argv as absl flags; pytest's own are not for it.
    monkeypatch.setattr(sys, "argv", sys.argv[:1])
    # Executors set absl flags for the whole process; later tests get them back.
    batching = flags.FLAGS["tfxio_use_byte_size_batching"]
    monkeypatch.setattr(batching, "value", batching.value)
    beam_in_process.skip_tfx_repackaging_on_direct_runner()

    def run(args) -> list[str]:
        context = BaseBeamExecutor.Context(beam_pipeline_args=list(args), tmp_dir=str(tmp_path))
        return StatisticsGenExecutor(context)._beam_pipeline_args

    return run


@pytest.mark.parametrize(
    ("args", "direct"),
    [
        ((), True),
        (("--runner=DirectRunner",), True),
        (("--runner", "direct"), True),
        (("--runner=PortableRunner", "--job_endpoint=localhost:1"), False),
        (("--runner=FlinkRunner",), False),
    ],
)
def test_direct_runner_is_told_apart_from_the_others(args, direct):
    assert beam_in_process.runs_on_direct_runner(args) is direct


def test_direct_runner_executors_build_no_tfx_package(executor_args, tmp_path):
    args = beam_args(BeamSettings(), rows=15_002, cpus=2)

    got = executor_args(args)

    assert got[: len(args)] == list(args)
    assert not [a for a in got if a.startswith("--extra_package")]
    assert list(tmp_path.iterdir()) == []


def test_other_runners_still_get_tfx_packaged_for_their_workers(executor_args):
    args = ["--runner=PortableRunner", "--job_endpoint=localhost:1"]

    got = executor_args(args)

    staged = [a for a in got if a.startswith("--extra_package=")]
    assert len(staged) == 1
    assert staged[0].endswith(".tar.gz") and "tfx_ephemeral" in staged[0]


def test_skipping_twice_wraps_once(executor_args):
    beam_in_process.skip_tfx_repackaging_on_direct_runner()
    wrapper = dependency_utils.make_beam_dependency_flags
    assert not hasattr(wrapper.__wrapped__, "__wrapped__")


@pytest.mark.parametrize(
    ("extra", "by_size"),
    [((), True), (("--notfxio_use_byte_size_batching",), False)],
)
def test_executors_batch_as_the_beam_arguments_say(executor_args, extra, by_size):
    flags.FLAGS["tfxio_use_byte_size_batching"].value = not by_size
    executor_args(beam_args(BeamSettings(extra=extra), rows=15_002, cpus=2))
    kwargs = batch_util.GetBatchElementsKwargs(None)

    # By size: fixed bounds, no tuning of the batch size by how long batches take.
    assert (kwargs["min_batch_size"] == kwargs["max_batch_size"]) is by_size
    assert ("target_batch_duration_secs" in kwargs) is not by_size
