"""TensorFlow Serving warmup requests, built from real eval examples.

TF Serving replays `models.layout.WARMUP_FILE` (a TFRecord of PredictionLogs)
while it loads a version, so the first user request does not pay for graph
initialisation. The records are written into
each version as it is pushed, from examples of the eval split.
"""

from __future__ import annotations

import os

import tensorflow as tf
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

from models import features as F
from models import layout

WARMUP_SPLIT = "eval"
MAX_WARMUP_EXAMPLES = 32  # well under TF Serving's layout.MAX_WARMUP_RECORDS
RAW_SIGNATURE = layout.SERVING_SIGNATURE
EXAMPLES_SIGNATURE = layout.EXAMPLES_SIGNATURE

_MISSING = {tf.int64: F.MISSING_INT, tf.float32: F.MISSING_FLOAT, tf.string: F.MISSING_STRING}


def _raw_value(feature: tf.train.Feature, dtype: tf.DType):
    values = getattr(feature, feature.WhichOneof("kind") or "int64_list").value
    if not values:
        return _MISSING[dtype]
    value = values[0]
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _log(request: predict_pb2.PredictRequest) -> prediction_log_pb2.PredictionLog:
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)
    )


def warmup_logs(
    serialized: list[bytes], inputs: dict[str, tf.DType], model_name: str
) -> list[prediction_log_pb2.PredictionLog]:
    """One raw-feature request per example, plus one batch of serialized examples."""
    logs = []
    for record in serialized:
        example = tf.train.Example.FromString(record)
        request = predict_pb2.PredictRequest(
            model_spec=model_pb2.ModelSpec(name=model_name, signature_name=RAW_SIGNATURE)
        )
        for name, dtype in inputs.items():
            value = _raw_value(example.features.feature[name], dtype)
            request.inputs[name].CopyFrom(tf.make_tensor_proto([value], dtype=dtype))
        logs.append(_log(request))
    batch = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(name=model_name, signature_name=EXAMPLES_SIGNATURE)
    )
    batch.inputs["examples"].CopyFrom(tf.make_tensor_proto(serialized, dtype=tf.string))
    logs.append(_log(batch))
    return logs


def write_warmup(model_dir: str, logs: list[prediction_log_pb2.PredictionLog]) -> str:
    """Write `logs` as the warmup file of the SavedModel in `model_dir`."""
    path = os.path.join(model_dir, layout.WARMUP_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tf.io.TFRecordWriter(path) as writer:
        for log in logs:
            writer.write(log.SerializeToString())
    return path
