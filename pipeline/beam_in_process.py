"""Settings for Beam's in-process DirectRunner that its options do not reach.

The runner process, not `create_pipeline`, applies these: they change how this
process runs Beam, not what the pipeline is.
"""

from __future__ import annotations


def disable_state_cache() -> None:
    """Run in-process Beam bundles without the worker's state cache.

    The embedded worker always gets a 100 MB cache (`STATE_CACHE_SIZE_MB`;
    `--max_cache_memory_usage_mb` reaches only worker processes), and every
    side input it caches is sized with `objsize`, which first walks the globals
    of every loaded module. With TensorFlow loaded that is about 20 s of a
    15k-row run (measured: 17 s in Transform), for side inputs that are read
    once per bundle anyway. Beam's fix for worker processes is the same switch
    (apache/beam#30360). Idempotent.
    """
    from apache_beam.runners.portability.fn_api_runner import worker_handlers

    worker_handlers.STATE_CACHE_SIZE_MB = 0
