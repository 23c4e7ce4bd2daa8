"""The record of what a model was trained with, kept inside the exported model."""

from __future__ import annotations

from models import hparams as tuning
from models.hparams import HParams


def test_the_trained_with_record_is_read_back(tmp_path):
    hparams = HParams(hidden_units=(32,), dropout=0.0)
    tuning.write_hparams(str(tmp_path), hparams, tuned=True)
    record = tuning.read_hparams(str(tmp_path))
    assert record["source"] == "tuner"
    assert record["hidden_units"] == [32] and record["dropout"] == 0.0
    assert tuning.read_hparams(str(tmp_path / "elsewhere")) is None
