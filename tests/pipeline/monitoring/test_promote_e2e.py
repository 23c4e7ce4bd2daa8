"""Canary promotion on the real pipeline's pushed models, against a live server.

Two versions are served from a labelled model config file (request logging on):
`stable` is the pipeline's pushed version, and `canary` a second version the
pipeline trained (another seed) and pushed after it, each traced to its own
training run through ML Metadata. Clean rows replayed to both labels: `promote`
exits 0, and the live server's `stable` label answers with the canary's
version. Fares x10 replayed to the canary: `promote` exits 3 naming the skew,
the file byte for byte as it was. After a promotion, `rollback V --config`
moves `stable` back to V on the live server.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pipeline import defaults
from pipeline.cli import main
from pipeline.metadata.versions import pushed_versions
from pipeline.runners.local import run_pipeline
from serving.config import add_request_logging, write_model_config_file
from serving.labels import labelled_config

pytestmark = pytest.mark.e2e

# Enough rows for the data gate to measure skew (GateConfig.min_rows_to_compare),
# spread over the whole sample; the stable version gets other rows of it.
ROWS, EVERY, BATCH = 1500, 9, 10
REQUESTS = ROWS // BATCH
FARE_FACTOR = 10.0
# Servers re-read the config file this often; a label switch must show within the deadline.
POLL_S, SWITCH_DEADLINE_S = 1, 30


@dataclasses.dataclass(frozen=True)
class Versions:
    base: Path  # <serving>/<model>: both pushed versions
    stable: int
    canary: int
    pipeline_root: str  # the canary run's, whose ML Metadata traces both


@pytest.fixture(scope="module")
def versions(pipeline_run, tmp_path_factory) -> Versions:
    """The pushed version (stable) and a second version trained and pushed after it (canary).

    The canary's run starts from a copy of the shared run's ML Metadata store, so
    everything up to Transform comes from its cache and the shared run's store and
    serving folder stay as the other tests expect them. Its gate may not block on a
    regression: any seed's model must be pushed for the test to have a canary.
    """
    root = tmp_path_factory.mktemp("promote")
    canary_run = dataclasses.replace(
        pipeline_run,
        pipeline_root=str(root / "pipeline"),
        metadata_path=str(defaults.metadata_path(root / "pipeline")),
        serving_dir=str(root / "serving"),
        seed=pipeline_run.seed + 1,
        thresholds=pipeline_run.thresholds.model_copy(update={"max_regression": 1.0}),
    )
    Path(canary_run.metadata_path).parent.mkdir(parents=True)
    shutil.copyfile(pipeline_run.metadata_path, canary_run.metadata_path)
    stable = pushed_versions(pipeline_run.metadata_path, pipeline_run.push_base_directory)[-1]
    base = Path(canary_run.push_base_directory)
    shutil.copytree(stable.path, base / stable.version)

    run_pipeline(canary_run)

    canary = pushed_versions(canary_run.metadata_path, canary_run.push_base_directory)[-1]
    assert int(canary.version) > int(stable.version), "the canary run pushed no new version"
    return Versions(base, int(stable.version), int(canary.version), canary_run.pipeline_root)


def _write_config(path: Path, name: str, versions: Versions, logs: Path) -> Path:
    """The labelled config with a logging_config (python -m serving writes the logs)."""
    config = labelled_config(name, str(versions.base), versions.stable, versions.canary)
    add_request_logging(config.model_config_list.config[0], str(logs))
    write_model_config_file(config, path)
    return path


def _serve(server_pool, config: Path, name: str):
    return server_pool.start(
        f"--model_config_file={config}", f"--model_config_file_poll_wait_seconds={POLL_S}",
        model=name,
    )  # fmt: skip


def _replay(server, rows_csv: Path, name: str, label: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "serving.replay", "--csv", str(rows_csv), "--model", name,
         "--target", server.rest_url.removeprefix("http://"), "--label", label,
         "--batch", str(BATCH), "--rate", "200", "--duration", "120"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"Sent {REQUESTS} requests ({ROWS} rows)" in result.stdout


def _traffic(pipeline_run, server_pool, csv_writer, folder: Path, versions, canary_rows, rows):
    """Serve both labels logging every request, replay, stop (flushing the logs)."""
    name = pipeline_run.model_name
    config = _write_config(folder / "models.config", name, versions, folder / "logs")
    server = _serve(server_pool, config, name)
    _replay(server, csv_writer(folder / "canary.csv", canary_rows), name, "canary")
    _replay(server, csv_writer(folder / "stable.csv", rows), name, "stable")
    assert server.process.stop() == 0, server.process.log_tail()
    return config


@pytest.fixture(scope="module")
def canary_rows(sample_rows) -> list[dict]:
    return sample_rows[::EVERY][:ROWS]


@pytest.fixture(scope="module")
def stable_rows(sample_rows) -> list[dict]:
    return sample_rows[1::EVERY][:ROWS]


def _promote(
    pipeline_run, versions: Versions, config: Path, logs: Path, capsys, *extra: str
) -> tuple[int, str]:
    code = main(
        ["promote", "--model", pipeline_run.model_name, "--config", str(config),
         "--logs", str(logs), "--pipeline-root", versions.pipeline_root, *extra]
    )  # fmt: skip
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _version_of(server, name: str, label: str) -> str | None:
    response = httpx.get(f"{server.rest_url}/v1/models/{name}/labels/{label}/metadata", timeout=10)
    return response.json()["model_spec"]["version"] if response.status_code == 200 else None


def _await_label(server, name: str, label: str, version: int) -> None:
    deadline = time.monotonic() + SWITCH_DEADLINE_S
    while _version_of(server, name, label) != str(version):
        assert time.monotonic() < deadline, f"{label} never answered with {version}"
        time.sleep(0.25)


def test_a_clean_canary_is_promoted_and_rollback_still_works(
    pipeline_run, server_pool, csv_writer, versions, canary_rows, stable_rows, tmp_path, capsys
):
    name = pipeline_run.model_name
    config = _traffic(
        pipeline_run, server_pool, csv_writer, tmp_path, versions, canary_rows, stable_rows
    )
    live = _serve(server_pool, config, name)
    assert _version_of(live, name, "stable") == str(versions.stable)

    code, said = _promote(pipeline_run, versions, config, tmp_path / "logs", capsys)

    assert code == 0, said
    assert f"version {versions.canary} is stable (was {versions.stable})" in said
    _await_label(live, name, "stable", versions.canary)
    canary = httpx.get(f"{live.rest_url}/v1/models/{name}/labels/canary/metadata", timeout=10)
    assert "Unrecognized servable version label: canary" in canary.json()["error"]

    # Too few requests for the next promotion's gate: the canary label is gone, exit 2.
    code, said = _promote(pipeline_run, versions, config, tmp_path / "logs", capsys)
    assert code == 2 and "has no 'canary' label" in said

    code = main(
        ["rollback", str(versions.stable), "--config", str(config), "--model-name", name,
         "--pipeline-root", versions.pipeline_root,
         "--serving-dir", str(versions.base.parent)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().out
    _await_label(live, name, "stable", versions.stable)


def test_a_canary_whose_traffic_drifted_is_refused_and_the_file_kept(
    pipeline_run, server_pool, csv_writer, versions, canary_rows, stable_rows, tmp_path, capsys
):
    drifted = [{**r, "fare": str(float(r["fare"]) * FARE_FACTOR)} for r in canary_rows]
    config = _traffic(
        pipeline_run, server_pool, csv_writer, tmp_path, versions, drifted, stable_rows
    )
    before = config.read_bytes()

    code, said = _promote(pipeline_run, versions, config, tmp_path / "logs", capsys)

    assert code == 3, said
    assert f"Promotion of version {versions.canary} refused" in said
    assert "the canary's monitor result: skew in fare" in said
    assert config.read_bytes() == before

    # The volume condition alone, on the same logs: more requests than were logged.
    code, said = _promote(
        pipeline_run, versions, config, tmp_path / "logs", capsys,
        "--min-requests", str(REQUESTS + 1),
    )  # fmt: skip
    assert code == 3 and f"answered {REQUESTS} logged requests, fewer than the" in said
    assert config.read_bytes() == before


def test_bad_input_is_exit_2(pipeline_run, versions, tmp_path, capsys):
    config = _write_config(tmp_path / "models.config", pipeline_run.model_name, versions, tmp_path)
    (tmp_path / "logs").mkdir()
    good = {
        "--model": pipeline_run.model_name,
        "--config": str(config),
        "--logs": str(tmp_path / "logs"),
        "--pipeline-root": versions.pipeline_root,
    }
    for changed, message in [
        ({"--model": "chicago"}, "'chicago' is not in the model config"),
        ({"--config": str(tmp_path / "missing.config")}, "cannot read the model config file"),
        ({"--logs": str(tmp_path / "nowhere")}, "is not a folder"),
        ({"--since": "yesterday-ish"}, "Input error"),
        ({"--min-requests": "0"}, "--min-requests must be at least 1"),
    ]:
        argv = [part for flag, value in {**good, **changed}.items() for part in (flag, value)]
        assert main(["promote", *argv]) == 2, changed
        assert message in capsys.readouterr().err
    assert (
        config.read_bytes()
        == _write_config(
            tmp_path / "again.config", pipeline_run.model_name, versions, tmp_path
        ).read_bytes()
    )
