"""Pushed versions appear whole and numbered above every earlier version."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from models import layout
from models.layout import next_version
from pipeline.components.pusher.atomic import push_atomically


@pytest.fixture
def model_dir(tmp_path):
    model = tmp_path / "model"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph")
    (model / "variables" / "variables.index").write_bytes(b"index")
    return model


def test_push_creates_the_version_directory_with_every_file(model_dir, tmp_path):
    base = tmp_path / "serving" / "taxi"
    final = push_atomically(str(model_dir), str(base), "1700000000")
    assert final == str(base / "1700000000")
    assert (base / "1700000000" / "saved_model.pb").read_bytes() == b"graph"
    assert (base / "1700000000" / "variables" / "variables.index").exists()
    assert os.listdir(base) == ["1700000000"], "no staging directory is left behind"


def test_a_failed_copy_leaves_no_version_and_no_staging(tmp_path):
    base = tmp_path / "serving" / "taxi"
    with pytest.raises(FileNotFoundError):
        push_atomically(str(tmp_path / "missing-model"), str(base), "1700000000")
    assert os.listdir(base) == []


def test_an_existing_version_is_never_overwritten(model_dir, tmp_path):
    base = tmp_path / "taxi"
    push_atomically(str(model_dir), str(base), "5")
    with pytest.raises(OSError):
        push_atomically(str(model_dir), str(base), "5")
    assert sorted(os.listdir(base)) == ["5"]


def test_next_version_is_newer_than_the_clock_and_every_existing_version(tmp_path):
    assert next_version(str(tmp_path / "absent"), now=1700000000.7) == "1700000000"
    (tmp_path / "1800000000").mkdir()
    (tmp_path / ".staging-1900000000-1").mkdir()
    assert next_version(str(tmp_path), now=1700000000.0) == "1800000001"


def test_prepare_adds_files_before_the_version_appears(model_dir, tmp_path):
    base = tmp_path / "taxi"

    def add_warmup(staging: str) -> None:
        assert not (base / "7").exists(), "the version must not be visible yet"
        (Path(staging) / "assets.extra").mkdir()
        (Path(staging) / "assets.extra" / "tf_serving_warmup_requests").write_bytes(b"logs")

    push_atomically(str(model_dir), str(base), "7", prepare=add_warmup)
    assert (base / "7" / "assets.extra" / "tf_serving_warmup_requests").read_bytes() == b"logs"


def test_a_failing_prepare_pushes_nothing(model_dir, tmp_path):
    base = tmp_path / "taxi"

    def fail(staging: str) -> None:
        raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        push_atomically(str(model_dir), str(base), "7", prepare=fail)
    assert os.listdir(base) == []


def test_staging_left_by_a_killed_push_is_removed_by_the_next_push(model_dir, tmp_path):
    base = tmp_path / "taxi"
    dead = _dead_pid()
    stale = base / f".staging-1700000000-{dead}"
    (stale / "variables").mkdir(parents=True)
    live = base / f".staging-1700000001-{os.getpid()}"
    live.mkdir()
    push_atomically(str(model_dir), str(base), "1700000002")
    assert sorted(os.listdir(base)) == sorted([live.name, "1700000002"]), (
        "the dead process's staging copy is gone, a live one is kept"
    )


def _dead_pid() -> int:
    import subprocess

    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_a_copy_error_names_the_target_and_the_reason(model_dir, tmp_path, monkeypatch):
    import errno
    import shutil

    def full_disk(src, dst, *args, **kwargs):
        raise shutil.Error([(src, dst, str(OSError(errno.ENOSPC, "No space left on device")))])

    monkeypatch.setattr(shutil, "copytree", full_disk)
    base = tmp_path / "taxi"
    with pytest.raises(OSError, match=rf"cannot write {base}: .*No space left on device"):
        push_atomically(str(model_dir), str(base), "1700000000")
    assert os.listdir(base) == []


def _card(version_dir: Path, model_uri: str) -> None:
    card = version_dir / layout.MODEL_CARD_JSON
    card.parent.mkdir(parents=True)
    card.write_text(json.dumps({"model": {"model_uri": model_uri}}))


def test_the_version_already_holding_a_model_is_found_by_its_card(tmp_path):
    from pipeline.components.pusher.executor import version_of_model

    base = tmp_path / "serving" / "taxi"
    _card(base / "1700000000", "/pipeline-root/Trainer/model/7")
    _card(base / "1700000005", "/pipeline-root/Trainer/model/9")
    (base / "1700000009").mkdir()  # pushed before model cards: no card, never matches
    _card(base / ".staging-1700000010-1", "/pipeline-root/Trainer/model/11")  # not a version
    assert version_of_model(str(base), "/pipeline-root/Trainer/model/9") == "1700000005"
    assert version_of_model(str(base), "/pipeline-root/Trainer/model/11") is None
    assert version_of_model(str(tmp_path / "nothing"), "/pipeline-root/Trainer/model/7") is None
