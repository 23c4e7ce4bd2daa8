"""The model config file's `logging_config`: what this server accepts, and clear refusals."""

from __future__ import annotations

import pytest

from serving.config import RequestLogging, read_model_config_file
from serving.errors import ServingError


def config_file(tmp_path, logging_config: str):
    path = tmp_path / "models.config"
    path.write_text(
        'model_config_list { config { name: "taxi" base_path: "/models/taxi" '
        f"logging_config {{ {logging_config} }} }} }}\n"
    )
    return str(path)


def test_logging_config_is_read_per_model(tmp_path):
    path = config_file(
        tmp_path,
        'log_collector_config { type: "tfrecord" filename_prefix: "/logs/requests" } '
        "sampling_config { sampling_rate: 0.25 }",
    )
    (config,) = read_model_config_file(path)
    assert config.logging == RequestLogging("/logs/requests", 0.25)


def test_a_model_without_logging_config_is_not_logged(tmp_path):
    path = tmp_path / "models.config"
    path.write_text('model_config_list { config { name: "taxi" base_path: "/models/taxi" } }')
    (config,) = read_model_config_file(str(path))
    assert config.logging is None


@pytest.mark.parametrize(
    ("logging_config", "field", "fragment"),
    [
        pytest.param(
            'log_collector_config { filename_prefix: "/l" } sampling_config { sampling_rate: 1.5 }',
            "logging_config.sampling_config.sampling_rate",
            "must be in [0, 1], got 1.5",
            id="rate above 1",
        ),
        pytest.param(
            'log_collector_config { filename_prefix: "/l" } '
            "sampling_config { sampling_rate: -0.1 }",
            "logging_config.sampling_config.sampling_rate",
            "got -0.1",
            id="negative rate",
        ),
        pytest.param(
            'log_collector_config { type: "bigquery" filename_prefix: "/l" }',
            "logging_config.log_collector_config.type",
            "'bigquery' is not supported",
            id="unknown collector type",
        ),
        pytest.param(
            "sampling_config { sampling_rate: 0.5 }",
            "logging_config.log_collector_config.filename_prefix",
            "is empty",
            id="no file prefix",
        ),
    ],
)
def test_bad_logging_config_names_the_model_and_field(tmp_path, logging_config, field, fragment):
    with pytest.raises(ServingError) as raised:
        read_model_config_file(config_file(tmp_path, logging_config))
    assert f"Model taxi: {field}" in raised.value.message
    assert fragment in raised.value.message
