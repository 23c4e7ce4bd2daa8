"""Builds `half_plus_two`, the SavedModel TF Serving's own tests serve.

Equivalent to tensorflow_serving/servables/tensorflow/testdata/
saved_model_half_plus_two.py (without its asset file): a TF1 graph with
variables a=0.5, b=2, c=3 and five signatures:

- `serving_default` (predict): `x` float [-1, 1] -> `y` = 0.5 * x + 2
- `classify_x_to_y` (classify): serialized tf.Examples -> `scores` = y
- `regress_x_to_y` (regress): serialized tf.Examples -> `outputs` = y
- `regress_x_to_y2` (regress): serialized tf.Examples -> `outputs` = 0.5 * x + 3
- `regress_x2_to_y3` (regress): input `inputs` is the *parsed* float `x2`
  ([-1, 1], not serialized examples, exactly as in TF Serving's model) ->
  `outputs` = 0.5 * x2 + 3. It therefore serves `:predict` with floats, and
  `:regress` on it fails like it does on TF Serving.

Examples carry `x` (required) and `x2` (default 0.0) as one-float features.
TF1 graph mode is needed because TF2's `tf.saved_model.save` cannot give a
signature the classify or regress method name.

Run as a script to write the model for a real TF Serving container:

    .venv/bin/python tests/serving/half_plus_two.py /tmp/models/half_plus_two/123
"""

from __future__ import annotations

import os
import sys


def build(export_dir: str) -> None:
    """Writes the half_plus_two SavedModel to `export_dir` (which must not exist)."""
    import tensorflow as tf

    v1 = tf.compat.v1
    signature_utils = v1.saved_model.signature_def_utils
    graph = tf.Graph()
    with graph.as_default(), v1.Session(graph=graph) as session:
        a = v1.Variable(0.5, name="a")
        b = v1.Variable(2.0, name="b")
        c = v1.Variable(3.0, name="c")
        serialized = v1.placeholder(tf.string, name="tf_example", shape=[None])
        features = v1.parse_example(
            serialized,
            {
                "x": v1.FixedLenFeature([1], tf.float32),
                "x2": v1.FixedLenFeature([1], tf.float32, default_value=[0.0]),
            },
        )
        x = tf.identity(features["x"], name="x")
        y = tf.identity(a * x + b, name="y")
        y2 = tf.identity(a * x + c, name="y2")
        x2 = tf.identity(features["x2"], name="x2")
        # Separate variables for the x2 path, as in TF Serving's model.
        a2 = v1.Variable(0.5, name="a2")
        c2 = v1.Variable(3.0, name="c2")
        y3 = tf.identity(a2 * x2 + c2, name="y3")

        tensor_info = v1.saved_model.utils.build_tensor_info
        signatures = {
            "serving_default": signature_utils.predict_signature_def({"x": x}, {"y": y}),
            "classify_x_to_y": signature_utils.classification_signature_def(serialized, None, y),
            "regress_x_to_y": signature_utils.regression_signature_def(serialized, y),
            "regress_x_to_y2": signature_utils.regression_signature_def(serialized, y2),
            # regression_signature_def insists on a string input; TF's model does not.
            "regress_x2_to_y3": signature_utils.build_signature_def(
                {"inputs": tensor_info(x2)},
                {"outputs": tensor_info(y3)},
                v1.saved_model.signature_constants.REGRESS_METHOD_NAME,
            ),
        }
        session.run(v1.global_variables_initializer())
        builder = v1.saved_model.Builder(export_dir)
        builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map=signatures)
        builder.save()


if __name__ == "__main__":
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} EXPORT_DIR   (e.g. /tmp/models/half_plus_two/123)")
    build(sys.argv[1])
