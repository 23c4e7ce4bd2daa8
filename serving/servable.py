"""One loaded model version: its graph, session and SignatureDefs.

Versions are loaded the way TF Serving loads them: the MetaGraphDef tagged
`serve` is imported into a private `tf.Graph` with a TF1 `Session`, and
requests run `Session::Run` on the SignatureDef's tensor names. That works for
TF1 graphs and TF2/Keras SavedModels alike, and it skips Python's feed shape
check, which the real server does not have either (an `x` declared `[-1, 1]`
accepts a `[3]` feed).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2, meta_graph_pb2
from tensorflow.python.client import pywrap_tf_session

from serving.errors import Code, ServingError

SERVE_TAG = "serve"


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
        self._lock = threading.Lock()
        self._leases = 0
        self._retired = False

    @classmethod
    def load(cls, name: str, version: int, path: str) -> Servable:
        """Loads the `serve` MetaGraph of the SavedModel in `path`."""
        graph = tf.Graph()
        session = tf.compat.v1.Session(graph=graph)
        try:
            with graph.as_default():
                meta_graph = tf.compat.v1.saved_model.loader.load(session, [SERVE_TAG], path)
        except BaseException:
            session.close()
            raise
        return cls(name, version, path, session, meta_graph)

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
        options = None
        if timeout_ms is not None and timeout_ms > 0:
            run_options = config_pb2.RunOptions(timeout_in_ms=int(timeout_ms))
            options = pywrap_tf_session.TF_NewBufferFromString(run_options.SerializeToString())
        try:
            # The C API entry point under Session.run, without its Python-side
            # feed shape checks (see the module docstring).
            return self._session._call_tf_sessionrun(options, feed_dict, fetch_list, [], None)
        finally:
            if options is not None:
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
