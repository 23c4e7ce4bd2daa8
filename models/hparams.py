"""What a model is trained with: network and optimiser settings, the training schedule,
and the record of both that every exported model carries.

The Trainer and the Tuner both read this module; neither imports the other's
internals.
"""

from __future__ import annotations

import dataclasses
import json
import os

from models import layout

# Steps between two looks at the validation split; early stopping counts these.
STEPS_PER_EPOCH = 100
PATIENCE_EPOCHS = 4


@dataclasses.dataclass(frozen=True)
class HParams:
    """Network and optimiser settings (the Trainer's defaults)."""

    # Two layers, heavy dropout and small embeddings: with ~10k training rows
    # the earlier (256, 128, 64), dropout 0.2, embeddings up to 16 started to
    # overfit after 400 steps (validation loss rising from the 4th look). On
    # the validation split this setting did as well within noise over four
    # seeds (docs/benchmarks.md, "Model settings"), with fewer weights.
    hidden_units: tuple[int, ...] = (256, 128)
    dropout: float = 0.4
    learning_rate: float = 1e-3
    max_embedding_dim: int = 8
    # 128 rather than 256: more updates before early stopping; on taxi's eval split
    # log loss 0.1877 against 0.192 (median of 3 seeds, docs/benchmarks.md).
    batch_size: int = 128


def hparams_from(custom_config: dict | None) -> HParams:
    """HParams overridden by the `hparams` entry of the Trainer's custom_config."""
    overrides = dict((custom_config or {}).get("hparams", {}))
    if "hidden_units" in overrides:
        overrides["hidden_units"] = tuple(overrides["hidden_units"])
    return dataclasses.replace(HParams(), **overrides)


def write_hparams(model_dir: str, hparams: HParams, *, tuned: bool) -> str:
    """Record in the SavedModel what it was trained with, for its model card and lineage."""
    # tfx's io_utils: the model directory may be on a remote filesystem (gs://).
    from tfx.utils import io_utils

    path = os.path.join(model_dir, layout.HPARAMS_FILE)
    record = {"source": "tuner" if tuned else "defaults", **dataclasses.asdict(hparams)}
    io_utils.write_string_file(path, json.dumps(record, indent=1, sort_keys=True))
    return path


def read_hparams(model_dir: str) -> dict | None:
    """What `write_hparams` recorded in `model_dir`, or None for a model without it."""
    from tfx.dsl.io import fileio

    path = os.path.join(model_dir, layout.HPARAMS_FILE)
    if not fileio.exists(path):
        return None
    with fileio.open(path) as f:
        return json.loads(f.read())
