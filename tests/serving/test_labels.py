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


def _two_models_config(path):
    """A labelled taxi (logged, as for python -m serving) beside an unlabelled penguins."""
    path.write_text(
        """
model_config_list {
  config {
    name: "taxi" base_path: "/models/taxi" model_platform: "tensorflow"
    model_version_policy { specific { versions: 1700000100 versions: 1700000200 } }
    version_labels { key: "stable" value: 1700000100 }
    version_labels { key: "canary" value: 1700000200 }
    logging_config {
      log_collector_config { type: "tfrecord" filename_prefix: "/logs" }
      sampling_config { sampling_rate: 0.5 }
    }
  }
  config { name: "penguins" base_path: "/models/penguins" model_platform: "tensorflow" }
}
"""
    )
    return path


def test_promoting_moves_stable_to_the_canary_and_keeps_everything_else(tmp_path):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    from serving import labels
    from serving.config import write_model_config_file

    path = _two_models_config(tmp_path / "models.config")
    config = labels.read_config(path)
    before = model_server_config_pb2.ModelServerConfig()
    before.CopyFrom(config)

    assert labels.promote_canary(labels.model_entry(config, "taxi")) == (1700000100, 1700000200)
    write_model_config_file(config, path)

    # TF Serving's own message reads the file; only the labels changed.
    parsed = text_format.Parse(path.read_text(), model_server_config_pb2.ModelServerConfig())
    taxi, penguins = parsed.model_config_list.config
    assert dict(taxi.version_labels) == {"stable": 1700000200}
    taxi.ClearField("version_labels")
    before.model_config_list.config[0].ClearField("version_labels")
    assert parsed == before and penguins.name == "penguins"
    assert taxi.logging_config.sampling_config.sampling_rate == 0.5
    # The local server reads it too: the old stable version stays served.
    taxi_config, _ = read_model_config_file(str(path))
    assert taxi_config.policy.versions == frozenset({1700000100, 1700000200})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["models.config"]  # no temp file left


def test_relabelling_names_only_versions_the_policy_serves(tmp_path):
    from serving import labels

    config = labels.read_config(_two_models_config(tmp_path / "models.config"))
    taxi = labels.model_entry(config, "taxi")
    on_disk = [1700000000, 1700000100, 1700000200]
    with pytest.raises(labels.LabelError, match="1700000000 is not among the versions"):
        labels.move_label(taxi, "stable", 1700000000, on_disk)
    assert labels.move_label(taxi, "stable", 1700000200, on_disk) == 1700000100
    penguins = labels.model_entry(config, "penguins")  # the default policy: the newest
    assert labels.loaded_versions(penguins, on_disk) == {1700000200}


def test_bad_files_models_and_labels_are_label_errors(tmp_path):
    from serving import labels

    with pytest.raises(labels.LabelError, match="cannot read"):
        labels.read_config(tmp_path / "missing.config")
    (tmp_path / "bad.config").write_text("model_config_list { nonsense: 1 }")
    with pytest.raises(labels.LabelError, match="cannot read"):
        labels.read_config(tmp_path / "bad.config")
    config = labels.read_config(_two_models_config(tmp_path / "models.config"))
    with pytest.raises(labels.LabelError, match="'chicago' is not in the model config"):
        labels.model_entry(config, "chicago")
    with pytest.raises(labels.LabelError, match="'penguins' has no 'canary' label"):
        labels.promote_canary(labels.model_entry(config, "penguins"))


def test_request_logging_is_added_only_when_asked(base, tmp_path):
    logged, plain = tmp_path / "logged.config", tmp_path / "plain.config"
    assert main([str(base), "--output", str(plain)]) == 0
    argv = [str(base), "--output", str(logged), "--request-log-prefix", str(tmp_path / "logs")]
    assert main([*argv, "--request-log-sampling-rate", "0.25"]) == 0
    (config,) = read_model_config_file(str(logged))
    assert config.logging.filename_prefix == str(tmp_path / "logs")
    assert config.logging.sampling_rate == 0.25
    assert dict(config.labels) == {"stable": 1700000100, "canary": 1700000200}
    (container,) = read_model_config_file(str(plain))
    assert container.logging is None and "logging_config" not in plain.read_text()
    with pytest.raises(SystemExit):
        main([*argv, "--request-log-sampling-rate", "2"])
