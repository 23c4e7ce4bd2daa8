"""Settings for Beam's DirectRunner in this process that its options do not reach.

The runner process, not `create_pipeline`, applies these: they change how this
process runs Beam, not what the pipeline is.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence

from pipeline.beam_args import option_value


def disable_state_cache() -> None:
    """Run in-process Beam bundles without the worker's state cache.

    The embedded worker always gets a 100 MB cache (`STATE_CACHE_SIZE_MB`;
    `--max_cache_memory_usage_mb` reaches only worker processes), and every
    side input it caches is sized with `objsize`, which first walks the globals
    of every loaded module: with TensorFlow loaded, most of Transform's time on
    small data (docs/benchmarks.md), for side inputs that are read once per
    bundle anyway. Beam's fix for worker processes is the same switch
    (apache/beam#30360). Idempotent.
    """
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    worker_handlers.STATE_CACHE_SIZE_MB = 0


def runs_on_direct_runner(beam_pipeline_args: Sequence[str]) -> bool:
    """Whether these arguments run Beam's DirectRunner (the default runner)."""
    runner = option_value(tuple(beam_pipeline_args), "runner")
    return runner is None or runner.lower().removesuffix("runner") in ("", "direct")


def skip_tfx_repackaging_on_direct_runner() -> None:
    """Keep TFX from repackaging itself for DirectRunner workers.

    Every Beam component's executor copies the installed tfx package (49 MB)
    to a new temporary folder and builds an sdist of it with `setup.py`, so
    that remote workers can install TFX, unless a dependency flag is given.
    DirectRunner workers are this process or its children, with TFX already
    installed, and never install staged packages: the build cost seconds per
    component (four per run) for nothing and left a copy of TFX in /tmp each
    time (docs/benchmarks.md).
    Other runners keep TFX's behaviour. Idempotent.
    """
    from tfx.utils import dependency_utils

    if hasattr(dependency_utils.make_beam_dependency_flags, "__wrapped__"):
        return
    build = dependency_utils.make_beam_dependency_flags

    def make_beam_dependency_flags(beam_pipeline_args: list[str]) -> list[str]:
        if runs_on_direct_runner(beam_pipeline_args):
            return list(beam_pipeline_args)
        return build(beam_pipeline_args)

    make_beam_dependency_flags.__wrapped__ = build
    dependency_utils.make_beam_dependency_flags = make_beam_dependency_flags


@contextlib.contextmanager
def executors_in_this_process() -> Iterator[None]:
    """Settings for running TFX's executors in this process, for the duration.

    TFX's Beam executors parse `sys.argv` as absl flags. The caller's own
    command line is not meant for them (pytest's `-v` would become absl's
    `--verbosity`), so they see only the program name.
    """
    disable_state_cache()
    skip_tfx_repackaging_on_direct_runner()
    argv = sys.argv
    sys.argv = argv[:1]
    try:
        yield
    finally:
        sys.argv = argv
