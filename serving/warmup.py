"""Model warmup: replays a version's warmup requests (`models.layout.WARMUP_FILE`) at load time.

The file is a TFRecord of `PredictionLog`s, as TF Serving reads it. Each
request runs against the freshly loaded version before it is published, so
the first real request does not pay for lazy initialisation. A failing
record fails the load, as in TF Serving.
"""

from __future__ import annotations

import logging
import os

import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

from models import layout
from serving import inference
from serving.errors import invalid_argument
from serving.servable import Servable
from serving.tensors import to_ndarray

log = logging.getLogger(__name__)


def replay(servable: Servable, runner: inference.Runner, iterations: int = 1) -> int:
    """Runs every warmup record `iterations` times; returns the records replayed."""
    path = os.path.join(servable.path, layout.WARMUP_FILE)
    if not os.path.exists(path):
        return 0
    records = [bytes(r) for r in tf.data.TFRecordDataset(path).as_numpy_iterator()]
    if len(records) > layout.MAX_WARMUP_RECORDS:
        raise invalid_argument(
            f"Number of warmup records exceeds the maximum ({layout.MAX_WARMUP_RECORDS}) at {path}"
        )
    for _ in range(max(1, iterations)):
        for record in records:
            _replay_one(servable, runner, prediction_log_pb2.PredictionLog.FromString(record))
    log.info(
        "Finished reading warmup data for model at %s. Number of warmup records read: %d.",
        path,
        len(records),
    )
    return len(records)


def _replay_one(
    servable: Servable, runner: inference.Runner, entry: prediction_log_pb2.PredictionLog
) -> None:
    kind = entry.WhichOneof("log_type")
    if kind == "predict_log":
        request = entry.predict_log.request
        inputs = {alias: to_ndarray(proto, alias) for alias, proto in request.inputs.items()}
        inference.predict(
            runner,
            servable,
            request.model_spec.signature_name,
            inputs,
            output_filter=list(request.output_filter),
        )
    elif kind in ("classify_log", "regress_log"):
        request = getattr(entry, kind).request
        run = inference.classify if kind == "classify_log" else inference.regress
        run(runner, servable, request.model_spec.signature_name, request.input)
    elif kind == "multi_inference_log":
        request = entry.multi_inference_log.request
        for task in request.tasks:
            run = (
                inference.classify
                if task.method_name == inference.CLASSIFY_METHOD
                else inference.regress
            )
            run(runner, servable, task.model_spec.signature_name, request.input)
    else:
        raise invalid_argument(f"Unsupported log_type for warmup: {kind}")
