"""The Beam runner flags: parsed into settings, and a job endpoint checked before a run."""

from __future__ import annotations

import argparse
import socket

import pytest

from pipeline.beam_args import BeamArgsError, BeamSettings
from pipeline.runners import beam_flags as beam


def test_flags_parse_into_settings():
    p = argparse.ArgumentParser()
    beam.add_beam_arguments(p)
    args = p.parse_args(
        ["--beam-runner", "spark", "--job-endpoint", "h:1", "--worker-pool", "w:2",
         "--beam-arg=--a=1", "--beam-arg=--b=2"]
    )  # fmt: skip
    assert beam.settings_from_args(args) == BeamSettings(
        runner="spark", job_endpoint="h:1", worker_pool="w:2", extra=("--a=1", "--b=2")
    )


def test_an_endpoint_nobody_listens_on_fails_in_seconds():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Bound then closed: nothing listens there now.
    with pytest.raises(BeamArgsError, match=f"No Beam job service answers at 127.0.0.1:{port}"):
        beam.check_endpoint(f"127.0.0.1:{port}", timeout=2)
    with pytest.raises(BeamArgsError, match="HOST:PORT"):
        beam.check_endpoint("localhost")
