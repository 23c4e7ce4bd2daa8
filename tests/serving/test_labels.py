"""`python -m serving.labels` writes a config naming pushed versions stable and canary."""

from __future__ import annotations

import pytest

from serving.config import read_model_config_file
from serving.labels import main


@pytest.fixture
def base(tmp_path):
    base = tmp_path / "taxi"
    for name in ("1700000000", "1700000100", "1700000200", ".staging-1700000300-9"):
        (base / name).mkdir(parents=True)
    return base


def test_newest_is_canary_and_the_one_before_is_stable(base, tmp_path):
    out = tmp_path / "models.config"
    assert main([str(base), "--output", str(out), "--base-path", "/models/taxi"]) == 0
    (config,) = read_model_config_file(str(out))
    assert (config.name, config.base_path) == ("taxi", "/models/taxi")
    assert dict(config.labels) == {"stable": 1700000100, "canary": 1700000200}
    assert config.policy.kind == "specific"
    assert config.policy.versions == frozenset({1700000100, 1700000200})


def test_explicit_versions_and_unknown_ones(base, tmp_path, capsys):
    out = tmp_path / "models.config"
    assert main([str(base), "--stable", "1700000000", "--output", str(out)]) == 0
    (config,) = read_model_config_file(str(out))
    assert dict(config.labels) == {"stable": 1700000000, "canary": 1700000200}
    assert main([str(base), "--canary", "42"]) == 2
    assert "version(s) [42] not found" in capsys.readouterr().err


def test_a_folder_without_versions_is_an_error(tmp_path, capsys):
    (tmp_path / "taxi").mkdir()
    assert main([str(tmp_path / "taxi")]) == 2
    assert "no pushed versions" in capsys.readouterr().err
