"""#33: `:classify` and `:regress` judge a signature by its inputs and outputs, as TF
Serving 2.16.1 does by default; `--enable_signature_method_name_check` restores the
method-name check.

The model is what TF2's `tf.saved_model.save` writes for a classifier: its one
signature is recorded with the predict method name, takes serialized
tf.Examples as `inputs` and answers `classes` and `scores`.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

MODEL = "tf2_classifier"


@pytest.fixture(scope="module")
def tf2_classifier(tmp_path_factory) -> Path:
    import tensorflow as tf

    class Classifier(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def classify(self, inputs):
            spec = {"x": tf.io.FixedLenFeature([1], tf.float32)}
            x = tf.io.parse_example(inputs, spec)["x"] / 100.0
            names = tf.tile(tf.constant([["no", "yes"]]), [tf.shape(x)[0], 1])
            return {"classes": names, "scores": tf.concat([1.0 - x, x], axis=1)}

    module = Classifier()
    base = tmp_path_factory.mktemp("tf2") / MODEL
    tf.saved_model.save(module, str(base / "1"), signatures={"serving_default": module.classify})
    return base


def _classify(endpoint) -> httpx.Response:
    return httpx.post(
        f"{endpoint.rest_url}/v1/models/{MODEL}:classify",
        json={"examples": [{"x": 20.0}, {"x": 75.0}]},
        timeout=30,
    )


def test_a_tf2_classifier_is_served_by_classify(start_server, tf2_classifier, local_only):
    endpoint = start_server(
        f"--model_name={MODEL}", f"--model_base_path={tf2_classifier}", model=MODEL
    )
    response = _classify(endpoint)
    assert response.status_code == 200, response.text
    [[no, yes], [no2, yes2]] = response.json()["results"]
    assert (no[0], yes[0]) == ("no", "yes")
    assert (no[1], yes[1]) == pytest.approx((0.8, 0.2))
    assert (no2[1], yes2[1]) == pytest.approx((0.25, 0.75))


def test_the_method_name_check_refuses_it_when_enabled(start_server, tf2_classifier, local_only):
    endpoint = start_server(
        f"--model_name={MODEL}",
        f"--model_base_path={tf2_classifier}",
        "--enable_signature_method_name_check",
        model=MODEL,
    )
    response = _classify(endpoint)
    assert response.status_code == 400
    assert response.json()["error"] == (
        "Expected classification signature method_name to be tensorflow/serving/classify. "
        "Was: tensorflow/serving/predict"
    )
