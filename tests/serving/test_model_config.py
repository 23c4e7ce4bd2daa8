"""`python -m serving.model_config`: one config file for every pushed model, optionally logged."""

from __future__ import annotations

import pytest

from serving.config import RequestLogging, read_model_config_file
from serving.model_config import main


@pytest.fixture
def serving_dir(tmp_path):
    for model in ("taxi", "penguins"):
        (tmp_path / "serving" / model / "1700000000").mkdir(parents=True)
    return tmp_path / "serving"


def test_without_a_prefix_no_model_is_logged(serving_dir, tmp_path):
    out = tmp_path / "models.config"
    assert main([str(serving_dir), "--output", str(out)]) == 0
    configs = read_model_config_file(str(out))
    assert sorted(c.name for c in configs) == ["penguins", "taxi"]
    assert {c.logging for c in configs} == {None}


def test_a_prefix_gives_every_model_a_logging_config(serving_dir, tmp_path):
    out = tmp_path / "models.config"
    logs = tmp_path / "logs"
    argv = [str(serving_dir), "--output", str(out), "--request-log-prefix", str(logs)]
    assert main([*argv, "--request-log-sampling-rate", "0.25"]) == 0
    assert 'type: "tfrecord"' in out.read_text()
    configs = read_model_config_file(str(out))
    assert {c.logging for c in configs} == {RequestLogging(str(logs), 0.25)}


def test_a_sampling_rate_outside_0_1_is_a_usage_error(serving_dir, capsys):
    with pytest.raises(SystemExit) as e:
        main([str(serving_dir), "--request-log-prefix", "l", "--request-log-sampling-rate", "2"])
    assert e.value.code == 2
    assert "--request-log-sampling-rate must be in [0, 1], got 2.0" in capsys.readouterr().err
