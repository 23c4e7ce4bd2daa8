"""The TensorFlow Serving layout of a pushed model, for everything that writes or reads it.

`<serving-dir>/<model-name>/<version>/` holds one SavedModel. TensorFlow Serving
loads only versions whose folder name is all digits, so a folder still being
written under another name (the Pusher's `.staging-*`) is never seen, and the
highest number is the newest. `assets.extra/` holds files TF Serving does not
load as part of the model: its warmup requests, and what this project keeps
beside a version (hyperparameters, model card, attributions, rollback marker).
"""

from __future__ import annotations

import os
import re

# The name a model is served under when nobody names it.
DEFAULT_MODEL_NAME = "taxi"

SAVED_MODEL_FILE = "saved_model.pb"
ASSETS_EXTRA = "assets.extra"

# The exported signatures (models/signatures.py): raw features as named tensors
# under TF Serving's default signature key (what clients send when they name
# none), serialized tf.Examples (what TFMA and batch clients send), and the
# Transform graph alone (how TFMA gets the label).
SERVING_SIGNATURE = "serving_default"
EXAMPLES_SIGNATURE = "serving_tf_example"
TRANSFORM_SIGNATURE = "transform_features"
# TF Serving's Classify and Regress APIs (classification or regression models).
CLASSIFY_SIGNATURE = "classification"
REGRESS_SIGNATURE = "regression"

# TF Serving replays these PredictionLogs while it loads a version; it refuses
# a file of more than MAX_WARMUP_RECORDS.
WARMUP_FILE = os.path.join(ASSETS_EXTRA, "tf_serving_warmup_requests")
MAX_WARMUP_RECORDS = 1000

HPARAMS_FILE = os.path.join(ASSETS_EXTRA, "hparams.json")
# The resolved dataset spec the model was trained on: task, label, classes, features.
DATASET_FILE = os.path.join(ASSETS_EXTRA, "dataset.json")
MODEL_CARD_JSON = os.path.join(ASSETS_EXTRA, "model_card.json")
MODEL_CARD_MARKDOWN = os.path.join(ASSETS_EXTRA, "model_card.md")
MODEL_CARD_HTML = os.path.join(ASSETS_EXTRA, "model_card.html")
ATTRIBUTIONS_FILE = os.path.join(ASSETS_EXTRA, "attributions.json")
ROLLBACK_MARKER = os.path.join(ASSETS_EXTRA, "rollback.json")

# ASCII digits only: `str.isdigit` also accepts digits `int()` cannot read.
_VERSION = re.compile(r"[0-9]+")


def is_version(name: str) -> bool:
    """Whether TF Serving would load a folder of this name as a version."""
    return bool(_VERSION.fullmatch(name))


def version_names(base_directory: str | os.PathLike) -> list[str]:
    """Version folders under `base_directory`, oldest (lowest number) first; [] if it is absent."""
    try:
        entries = list(os.scandir(base_directory))
    except FileNotFoundError:
        return []
    return sorted((e.name for e in entries if is_version(e.name) and e.is_dir()), key=int)


def next_version(base_directory: str | os.PathLike, now: float) -> str:
    """A version number newer than any under `base_directory`: the time, or one past the newest."""
    return str(max([int(now), *(int(v) + 1 for v in version_names(base_directory))]))
