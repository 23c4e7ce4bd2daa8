"""A loaded version's TensorFlow session, sized by TF Serving's parallelism flags."""

from __future__ import annotations

import numpy as np
import pytest

from serving.options import SessionThreads
from serving.servable import Servable, session_config


@pytest.mark.parametrize(
    "threads", [SessionThreads(), SessionThreads(intra_op=1, inter_op=1), SessionThreads(2, 3)]
)
def test_a_version_answers_with_the_session_threads_it_was_given(
    half_plus_two_version, threads, local_only
):
    servable = Servable.load("half_plus_two", 123, str(half_plus_two_version), threads)
    try:
        signature = servable.signature_defs["serving_default"]
        x = np.array([[1.0], [4.0]], np.float32)
        (y,) = servable.run({signature.inputs["x"].name: x}, [signature.outputs["y"].name])
    finally:
        servable.retire()
    np.testing.assert_allclose(y, 0.5 * x + 2)


def test_the_session_config_sizes_both_pools(local_only):
    config = session_config(SessionThreads(intra_op=3, inter_op=5))

    assert config.intra_op_parallelism_threads == 3
    (pool,) = config.session_inter_op_thread_pool
    assert pool.num_threads == 5
    # Sessions of one size share a pool; another size gets a pool of its own.
    assert (
        pool.global_name
        != session_config(SessionThreads()).session_inter_op_thread_pool[0].global_name
    )
