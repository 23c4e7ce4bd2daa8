"""One loaded model version: its graph, session and SignatureDefs.

Versions are loaded the way TF Serving loads them: the MetaGraphDef tagged
`serve` is imported into a private `tf.Graph` with a TF1 `Session`, and
requests run `Session::Run` on the SignatureDef's tensor names. That works for
TF1 graphs and TF2/Keras SavedModels alike, and it skips Python's feed shape
check, which the real server does not have either (an `x` declared `[-1, 1]`
accepts a `[3]` feed).

Small requests run their graph step in the calling thread
(`RunOptions.inter_op_thread_pool = -1`) instead of handing every op to
TensorFlow's inter-op pool: for a few rows of the taxi graph, each op is
cheaper than the thread handoff, and a pool that went idle between two
requests has to be woken up again (docs/benchmarks.md, "Serving"). Large
requests still spread their independent ops over the pool.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2, meta_graph_pb2
from tensorflow.python.client import pywrap_tf_session

from serving.errors import Code, ServingError
from serving.options import SessionThreads

SERVE_TAG = "serve"
# Requests of up to this many rows run inline in the calling thread; larger ones
# use the inter-op pool (the measured crossover of the taxi graph is near 256 rows).
INLINE_MAX_ROWS = 128
_POOL, _INLINE = 0, -1  # RunOptions.inter_op_thread_pool: the session's pool, the caller
_AUTO_THREADS = SessionThreads()  # TensorFlow sizes the pools for the machine


class Servable:
    """A loaded SavedModel version that can run signatures concurrently.

    The session stays open while any request holds a lease on it, so a version
    that is unloaded during a request finishes that request first.
    """

    def __init__(
        self,
        name: str,
        version: int,
        path: str,
        session: tf.compat.v1.Session,
        meta_graph: meta_graph_pb2.MetaGraphDef,
    ) -> None:
        self.name = name
        self.version = version
        self.path = path
        self.signature_defs = meta_graph.signature_def
        self._session = session
        self._graph = session.graph
        self._outputs_by_name: dict[str, object] = {}
        self._input_dtypes: dict[str, dict[str, int]] = {}
        self._lock = threading.Lock()
        self._leases = 0
        self._retired = False

    @classmethod
    def load(
        cls, name: str, version: int, path: str, threads: SessionThreads = _AUTO_THREADS
    ) -> Servable:
        """Loads the `serve` MetaGraph of the SavedModel in `path`."""
        graph = tf.Graph()
        session = tf.compat.v1.Session(graph=graph, config=session_config(threads))
        try:
            with graph.as_default():
                meta_graph = tf.compat.v1.saved_model.loader.load(session, [SERVE_TAG], path)
        except BaseException:
            session.close()
            raise
        return cls(name, version, path, session, meta_graph)

    def input_dtypes(self, signature_key: str) -> dict[str, int]:
        """The DataType of each input of a signature, by alias (not to be changed).

        Kept per signature: every REST `:predict` decodes its JSON by them, and
        the request log sends the same dict with each of its records.
        """
        dtypes = self._input_dtypes.get(signature_key)
        if dtypes is None:
            inputs = self.signature_defs[signature_key].inputs
            dtypes = self._input_dtypes[signature_key] = {a: i.dtype for a, i in inputs.items()}
        return dtypes

    def run(
        self,
        feeds: Mapping[str, np.ndarray],
        fetches: Sequence[str],
        timeout_ms: int | None = None,
    ) -> list[np.ndarray]:
        """Runs the graph: feeds and fetches are tensor names (`x:0`).

        `timeout_ms` becomes `RunOptions.timeout_in_ms`, so TensorFlow itself
        cancels the step with DEADLINE_EXCEEDED, as in TF Serving.
        """
        feed_dict = {self._tf_output(name): value for name, value in feeds.items()}
        fetch_list = [self._tf_output(name) for name in fetches]
        run_options = config_pb2.RunOptions(
            inter_op_thread_pool=_INLINE if _rows(feeds) <= INLINE_MAX_ROWS else _POOL
        )
        if timeout_ms is not None and timeout_ms > 0:
            run_options.timeout_in_ms = int(timeout_ms)
        options = pywrap_tf_session.TF_NewBufferFromString(run_options.SerializeToString())
        try:
            # The C API entry point under Session.run, without its Python-side
            # feed shape checks (see the module docstring).
            return self._session._call_tf_sessionrun(options, feed_dict, fetch_list, [], None)
        finally:
            pywrap_tf_session.TF_DeleteBuffer(options)

    def _tf_output(self, tensor_name: str):
        output = self._outputs_by_name.get(tensor_name)
        if output is None:
            try:
                tensor = self._graph.get_tensor_by_name(tensor_name)
            except (KeyError, ValueError) as exc:
                raise ServingError(
                    Code.INVALID_ARGUMENT, f"Tensor {tensor_name} is not in the graph: {exc}"
                ) from exc
            output = tensor._as_tf_output()
            self._outputs_by_name[tensor_name] = output
        return output

    def acquire(self) -> bool:
        """Takes a lease; False once the version has been retired."""
        with self._lock:
            if self._retired:
                return False
            self._leases += 1
            return True

    def release(self) -> None:
        """Returns a lease; the last one out of a retired version closes it."""
        with self._lock:
            self._leases -= 1
            close = self._retired and self._leases == 0
        if close:
            self._session.close()

    def retire(self) -> None:
        """Stops new leases and closes the session once in-flight requests end."""
        with self._lock:
            self._retired = True
            close = self._leases == 0
        if close:
            self._session.close()


def session_config(threads: SessionThreads) -> config_pb2.ConfigProto:
    """One explicit inter-op pool (so a run may ask for the caller's thread instead),
    shared by every loaded version, of `threads.inter_op` threads (0: TensorFlow
    sizes it for the machine); `threads.intra_op` threads within an op."""
    # Sessions share a global pool by name, and a name has one size: the size is in it.
    pool = config_pb2.ThreadPoolOptionProto(
        num_threads=threads.inter_op, global_name=f"serving_inter_op_{threads.inter_op}"
    )
    return config_pb2.ConfigProto(
        intra_op_parallelism_threads=threads.intra_op, session_inter_op_thread_pool=[pool]
    )


def _rows(feeds: Mapping[str, np.ndarray]) -> int:
    """The request's batch size: the largest leading dimension among its feeds."""
    return max((value.shape[0] for value in feeds.values() if value.ndim), default=1)
