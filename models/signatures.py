"""Serving signatures of the exported model, following the task.

- `serving_default`: raw features as named tensors, one value per example:
  what a REST client sends as JSON `{"instances": [{"fare": 12.5, ...}]}`.
  Optional columns are marked missing with NaN (floats), "" (strings) or a
  negative number (integers), the same values a CSV leaves empty.
- `serving_tf_example`: serialized `tf.Example`s, any subset of columns.
- `transform_features`: what TFMA calls to get the transformed label and
  features from raw examples.
- `classification` (binary, multi-class) or `regression`: TF Serving's
  Classify and Regress APIs, on serialized `tf.Example`s under `inputs`.

Both prediction signatures answer with `features.prediction_key(spec)`; a
multi-class model adds the class names (`classes`). All share the Transform
graph, so clients send raw columns only.
"""

from __future__ import annotations

import os

import tensorflow as tf
import tensorflow_transform as tft

from models import features as F
from models import layout
from models.dataset import DatasetSpec

CLASSIFY_METHOD = "tensorflow/serving/classify"
REGRESS_METHOD = "tensorflow/serving/regress"
# TF Serving's Classify/Regress contract: serialized examples in, these out.
CLASSIFY_INPUT, CLASSES, SCORES = "inputs", "classes", "scores"
REGRESS_OUTPUT = "outputs"


def serving_feature_spec(tf_transform_output: tft.TFTransformOutput, spec: DatasetSpec) -> dict:
    """Raw feature spec of the columns a served model needs (no label)."""
    raw = tf_transform_output.raw_feature_spec()
    return {name: raw[name] for name in spec.model_features()}


def _missing_mask(x: tf.Tensor) -> tf.Tensor:
    if x.dtype == tf.string:
        return tf.equal(x, "")
    if x.dtype.is_floating:
        return tf.math.is_nan(x)
    return x < 0


def _as_raw_input(x: tf.Tensor, spec) -> tf.Tensor | tf.SparseTensor:
    """Shape a batch of single values the way Transform's raw spec expects."""
    column = tf.reshape(x, [-1, 1])
    if isinstance(spec, tf.io.FixedLenFeature):
        return column
    present = tf.logical_not(_missing_mask(column))
    indices = tf.where(present)
    return tf.SparseTensor(indices, tf.gather_nd(column, indices), tf.shape(column, tf.int64))


class _Predictor:
    """The model's prediction from transformed features, shaped per task."""

    def __init__(self, model, spec: DatasetSpec) -> None:
        self.model = model
        self.spec = spec
        self.key = F.prediction_key(spec)
        self.classes = tf.constant(list(spec.class_names())) if spec.num_classes else None

    def raw(self, transformed: dict) -> tf.Tensor:
        inputs = {name: transformed[name] for name in self.model.input_names}
        output = self.model(inputs, training=False)
        return output if self.spec.task == "multiclass" else tf.reshape(output, [-1])

    def predict(self, transformed: dict) -> dict:
        prediction = self.raw(transformed)
        outputs = {self.key: prediction}
        if self.spec.task == "multiclass":
            outputs[F.CLASSES_KEY] = self._class_names(prediction)
        return outputs

    def scores(self, transformed: dict) -> tf.Tensor:
        """Every class's probability, [batch, classes] (binary: [1 - p, p])."""
        prediction = self.raw(transformed)
        if self.spec.task == "binary":
            return tf.stack([1.0 - prediction, prediction], axis=1)
        return prediction

    def _class_names(self, scores: tf.Tensor) -> tf.Tensor:
        return tf.tile(tf.expand_dims(self.classes, 0), [tf.shape(scores)[0], 1])

    def classify(self, transformed: dict) -> dict:
        scores = self.scores(transformed)
        return {CLASSES: self._class_names(scores), SCORES: scores}


def make_signatures(model, tf_transform_output: tft.TFTransformOutput, spec: DatasetSpec) -> dict:
    """The exported signatures, keyed by signature name."""
    # Attaching the layer to the model makes SavedModel track its assets.
    model.tft_layer = tf_transform_output.transform_features_layer()
    predictor = _Predictor(model, spec)
    serving_spec = serving_feature_spec(tf_transform_output, spec)
    raw_spec = tf_transform_output.raw_feature_spec()

    named_inputs = {
        name: tf.TensorSpec([None], s.dtype, name=name) for name, s in serving_spec.items()
    }

    @tf.function(input_signature=[named_inputs])
    def serve_raw_features(raw: dict) -> dict:
        features = {name: _as_raw_input(raw[name], s) for name, s in serving_spec.items()}
        return predictor.predict(model.tft_layer(features))

    examples = tf.TensorSpec([None], tf.string, name="examples")

    def transformed_examples(serialized: tf.Tensor) -> dict:
        return model.tft_layer(tf.io.parse_example(serialized, serving_spec))

    @tf.function(input_signature=[examples])
    def serve_tf_examples(serialized: tf.Tensor) -> dict:
        return predictor.predict(transformed_examples(serialized))

    @tf.function(input_signature=[examples])
    def transform_features(serialized: tf.Tensor) -> dict:
        return model.tft_layer(tf.io.parse_example(serialized, raw_spec))

    signatures = {
        layout.SERVING_SIGNATURE: serve_raw_features.get_concrete_function(),
        layout.EXAMPLES_SIGNATURE: serve_tf_examples.get_concrete_function(),
        layout.TRANSFORM_SIGNATURE: transform_features.get_concrete_function(),
    }
    api_inputs = tf.TensorSpec([None], tf.string, name=CLASSIFY_INPUT)
    if spec.num_classes:

        @tf.function(input_signature=[api_inputs])
        def classify(inputs: tf.Tensor) -> dict:
            return predictor.classify(transformed_examples(inputs))

        signatures[layout.CLASSIFY_SIGNATURE] = classify.get_concrete_function()
    else:

        @tf.function(input_signature=[api_inputs])
        def regress(inputs: tf.Tensor) -> dict:
            return {REGRESS_OUTPUT: predictor.raw(transformed_examples(inputs))}

        signatures[layout.REGRESS_SIGNATURE] = regress.get_concrete_function()
    return signatures


def signature_inputs(
    model_dir: str, signature: str = layout.SERVING_SIGNATURE
) -> dict[str, tf.DType]:
    """Input alias -> dtype of `signature`, read from saved_model.pb."""
    from tensorflow.core.protobuf import saved_model_pb2

    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(model_dir, layout.SAVED_MODEL_FILE), "rb") as f:
        saved_model.ParseFromString(f.read())
    inputs = saved_model.meta_graphs[0].signature_def[signature].inputs
    return {name: tf.dtypes.as_dtype(info.dtype) for name, info in inputs.items()}


def mark_api_signatures(model_dir: str) -> None:
    """Give the Classify/Regress signatures the method names TF Serving checks.

    TensorFlow 2 saves every function signature as a Predict one; TF Serving
    answers :classify and :regress only on signatures marked as such.
    """
    from tensorflow.core.protobuf import saved_model_pb2
    from tfx.dsl.io import fileio

    methods = {layout.CLASSIFY_SIGNATURE: CLASSIFY_METHOD, layout.REGRESS_SIGNATURE: REGRESS_METHOD}
    path = os.path.join(model_dir, layout.SAVED_MODEL_FILE)
    saved = saved_model_pb2.SavedModel()
    with fileio.open(path, "rb") as f:
        saved.ParseFromString(f.read())
    for meta_graph in saved.meta_graphs:
        for name, method in methods.items():
            if name in meta_graph.signature_def:
                meta_graph.signature_def[name].method_name = method
    with fileio.open(path, "wb") as f:
        f.write(saved.SerializeToString())
