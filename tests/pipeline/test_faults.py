"""The fault suite: bad data and crashes never reach the model being served.

Every case runs the real `run_local.py` on one pipeline root while the real
`python -m serving` serves its model directory over REST on loopback, and
asserts what a user sees (exit code and message), whether training ran,
whether anything was pushed, and that the served version is unchanged and
still answers with the same predictions.

The cases run in file order on one ML Metadata store, as a user's runs
would: the first test's interrupted runs produce the served model the rest
defend. Each case's observed outcome is written to
`test-artifacts/fault-suite.md`.
"""

from __future__ import annotations

import csv
import dataclasses
import fcntl
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import taxi_facts

from models import layout
from pipeline import steps as P
from pipeline.config import PipelineConfig
from pipeline.defaults import sample_data_root
from pipeline.metadata.summary import RunSummary, summarize_latest_run
from pipeline.metadata.versions import versions_on_disk
from pipeline.runners.process import LOCK_FILE
from serving.client import RestClient
from serving.rows import to_instances

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
MODEL = "taxi"
TRAIN_STEPS = "1000"
SAMPLE_ROWS = 300  # enough rows for a preflight case; the preflight reads every one
OUTCOMES: list[tuple[str, str]] = []


@dataclasses.dataclass
class Stage:
    home: Path
    root: Path
    serving: Path
    server_url: str
    instances: list[dict]

    @property
    def base(self) -> Path:
        return self.serving / MODEL

    def config(self) -> PipelineConfig:
        """Enough of the runs' config to read them back from ML Metadata."""
        return PipelineConfig(
            pipeline_name="taxi",
            pipeline_root=str(self.root),
            data_root="",
            schema_path="",
            serving_dir=str(self.serving),
            metadata_path=str(self.root / "metadata.sqlite"),
        )


@dataclasses.dataclass(frozen=True)
class Served:
    version: str
    probabilities: np.ndarray


def _read_sample() -> tuple[list[str], list[dict]]:
    with (sample_data_root() / "data.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames), list(reader)


def _write_csv(folder: Path, header: list[str], rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "data.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def stage(tmp_path_factory, pipeline_run, server_pool, schema) -> Stage:
    """A serving folder holding the session run's model, served by a live server."""
    home = tmp_path_factory.mktemp("faults")
    base = home / "serving" / MODEL
    production = max(Path(pipeline_run.push_base_directory).iterdir(), key=lambda p: int(p.name))
    shutil.copytree(production, base / production.name)
    server = server_pool.start(
        f"--model_name={MODEL}",
        f"--model_base_path={base}",
        "--file_system_poll_wait_seconds=1",
        model=MODEL,
    )
    _, rows = _read_sample()
    yield Stage(
        home=home,
        root=home / "pipeline",
        serving=home / "serving",
        server_url=server.rest_url,
        instances=to_instances(rows[:16], taxi_facts.inputs()),
    )
    _write_outcomes()


def _write_outcomes() -> None:
    out = PROJECT / "test-artifacts" / "fault-suite.md"
    out.parent.mkdir(exist_ok=True)
    lines = ["| case | observed outcome |", "|---|---|"]
    lines += [f"| {case} | {outcome.replace('|', '/')} |" for case, outcome in OUTCOMES]
    out.write_text("\n".join(lines) + "\n")


def _record(case: str, result_text: str, **facts) -> None:
    message = " ".join(
        line.strip()
        for line in result_text.splitlines()
        if re.search(r"error|✗|stopped|Busy|Blessed|Pushed|interrupted|accepted|'", line)
    )
    described = ", ".join(f"{k}={v}" for k, v in facts.items())
    OUTCOMES.append((case, f"{described}; {message[:600]}"))


def served(stage: Stage, serving_base: Path | None = None, url: str | None = None) -> Served:
    """The version the server answers with and its predictions for the fixed rows."""
    with RestClient(url or stage.server_url, MODEL) as client:
        versions = [s.version for s in client.status() if s.state == "AVAILABLE"]
        probabilities = client.predict(stage.instances).only()
    return Served(version=max(versions, key=int), probabilities=probabilities)


def assert_still_serving(stage: Stage, before: Served, url: str | None = None) -> None:
    after = served(stage, url=url)
    assert after.version == before.version
    np.testing.assert_allclose(after.probabilities, before.probabilities, rtol=1e-6)


def wait_until_serving(stage: Stage, version: str, timeout: float = 60) -> Served:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = served(stage)
        if now.version == version:
            return now
        time.sleep(0.5)
    pytest.fail(f"the server did not switch to version {version} within {timeout} s")


def _argv(stage: Stage, data_root: Path, *extra: str, serving_dir: Path | None = None):
    return [
        sys.executable,
        str(PROJECT / "run_local.py"),
        "--data-root",
        str(data_root),
        "--pipeline-root",
        str(stage.root),
        "--serving-dir",
        str(serving_dir or stage.serving),
        "--train-steps",
        TRAIN_STEPS,
        *extra,
    ]


def run_cli(stage: Stage, data_root: Path, *extra: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        _argv(stage, data_root, *extra, **kwargs),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=PROJECT,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Background:
    """run_local.py in the background, its output in a file we can watch."""

    def __init__(self, stage: Stage, data_root: Path, *extra: str) -> None:
        self.output = stage.home / f"run-{time.monotonic_ns()}.out"
        with open(self.output, "wb") as out:
            self.popen = subprocess.Popen(
                _argv(stage, data_root, *extra),
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=PROJECT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                # As from a terminal: a shell's background job (how CI may start
                # the suite) inherits SIGINT ignored, and then Ctrl-C would be too.
                preexec_fn=_default_sigint,
            )

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.popen.poll() is not None:
                pytest.fail(f"the run ended before {what}:\n{self.text()}")
            time.sleep(0.02)
        self.popen.kill()
        pytest.fail(f"no {what} within {timeout} s:\n{self.text()}")

    def signal(self, signum: int) -> int:
        self.popen.send_signal(signum)
        try:
            return self.popen.wait(timeout=120)
        except subprocess.TimeoutExpired:
            # Never leave a run holding the root for the cases after this one.
            self.popen.kill()
            self.popen.wait()
            pytest.fail(f"the run ignored signal {signum}:\n{self.text()}")


def latest_run(stage: Stage) -> RunSummary:
    return summarize_latest_run(stage.config())


def run_ids(stage: Stage) -> set[str]:
    import ml_metadata as mlmd
    from tfx.orchestration import metadata

    path = stage.root / "metadata.sqlite"
    if not path.exists():
        return set()
    store = mlmd.MetadataStore(metadata.sqlite_metadata_connection_config(str(path)))
    pipeline = store.get_context_by_type_and_name("pipeline", "taxi")
    if pipeline is None:
        return set()
    return {c.name for c in store.get_children_contexts_by_context(pipeline.id)}


def assert_store_intact(stage: Stage) -> None:
    with sqlite3.connect(stage.root / "metadata.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert run_ids(stage), "the store still answers queries"


def staging_dirs(base: Path) -> list[str]:
    return [name for name in os.listdir(base) if name.startswith(".staging-")]


# --- Crashes: SIGKILL in Transform, a second run at once, SIGKILL in Pusher ---


@pytest.fixture(scope="module")
def crashed_then_resumed(stage) -> dict:
    """Kill a run in Transform, refuse a concurrent run, kill the next in Pusher, resume."""
    sample = sample_data_root()
    production = served(stage)
    facts = {"production": production}

    first = Background(stage, sample)
    first.wait_for(lambda: "Log:" in first.text(), "the run holding its lock")
    facts["concurrent"] = run_cli(stage, sample)
    first.wait_for(lambda: (stage.root / P.TRANSFORM).exists(), "Transform starting")
    time.sleep(3)
    facts["transform_kill_code"] = first.signal(signal.SIGKILL)
    facts["after_transform_kill"] = served(stage)
    facts["versions_after_transform_kill"] = versions_on_disk(str(stage.base))
    assert_store_intact(stage)

    second = Background(stage, sample)
    second.wait_for(lambda: staging_dirs(stage.base), "a push in progress")
    facts["pusher_kill_code"] = second.signal(signal.SIGKILL)
    facts["second_output"] = second.text()
    facts["staging_after_pusher_kill"] = staging_dirs(stage.base)
    facts["versions_after_pusher_kill"] = versions_on_disk(str(stage.base))
    facts["after_pusher_kill"] = served(stage)
    assert_store_intact(stage)

    facts["resumed"] = run_cli(stage, sample)
    facts["summary"] = latest_run(stage)
    return facts


def test_sigkill_during_transform_keeps_the_served_model(crashed_then_resumed):
    facts = crashed_then_resumed
    assert facts["transform_kill_code"] == -signal.SIGKILL
    assert facts["versions_after_transform_kill"] == [facts["production"].version]
    assert facts["after_transform_kill"].version == facts["production"].version
    np.testing.assert_allclose(
        facts["after_transform_kill"].probabilities, facts["production"].probabilities, rtol=1e-6
    )
    _record("SIGKILL during Transform", "", exit=facts["transform_kill_code"], pushed="no")


def test_a_second_run_on_the_same_root_is_refused(crashed_then_resumed):
    concurrent = crashed_then_resumed["concurrent"]
    assert concurrent.returncode == 4, concurrent.stdout + concurrent.stderr
    assert re.search(r"Busy: .* is in use by run_local\.py \(pid \d+", concurrent.stdout)
    assert "another --pipeline-root" in concurrent.stdout
    _record("two runs on one root", concurrent.stdout, exit=4, trained="no", pushed="no")


def test_sigkill_during_push_leaves_no_partial_version(crashed_then_resumed):
    facts = crashed_then_resumed
    assert facts["pusher_kill_code"] == -signal.SIGKILL
    assert re.search(r"✓ Transform\s+executed", facts["second_output"]), (
        "the rerun resumed Transform, which the first run never finished"
    )
    assert re.search(r"✓ CsvExampleGen\s+cached", facts["second_output"])
    assert facts["staging_after_pusher_kill"], "the kill hit while the push was being staged"
    assert facts["versions_after_pusher_kill"] == [facts["production"].version]
    assert facts["after_pusher_kill"].version == facts["production"].version
    _record("SIGKILL during Pusher", "", exit=facts["pusher_kill_code"], pushed="no (staging only)")


def test_rerun_after_the_kills_resumes_and_pushes_once(crashed_then_resumed, stage, pipeline_run):
    facts = crashed_then_resumed
    resumed, summary = facts["resumed"], facts["summary"]
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    for component in (P.EXAMPLE_GEN, P.TRANSFORM, P.TRAINER, P.EVALUATOR):
        assert summary.executions[component] == "cached", summary.executions
    assert summary.executions[P.PUSHER] == "executed"
    assert summary.blessed is True
    new = summary.pushed_version
    assert versions_on_disk(str(stage.base)) == sorted([facts["production"].version, new], key=int)
    assert staging_dirs(stage.base) == [], "the dead push's staging folder was cleaned up"
    # The same data, seed and steps as the uninterrupted session run: the same result.
    uninterrupted = summarize_latest_run(pipeline_run).metrics
    assert summary.metrics["auc"] == pytest.approx(uninterrupted["auc"], abs=0.01)
    wait_until_serving(stage, new)
    _record("rerun after both kills", resumed.stdout, exit=0, pushed=new)


# --- Bad files: stopped before anything runs ---


def _without(column: str):
    def edit(header, rows):
        return [c for c in header if c != column], [
            {k: v for k, v in r.items() if k != column} for r in rows
        ]

    return edit


def _set(column: str, value: str, row: int = 5):
    def edit(header, rows):
        rows[row] = {**rows[row], column: value}
        return header, rows

    return edit


# case -> (edit of (header, rows), or of the written file's bytes; what the message says)
BAD_FILES = {
    "empty CSV": (lambda text: b"", r"the file is empty"),
    "header only": (
        lambda text: text.split(b"\n")[0] + b"\n",
        r"has a header but no data rows",
    ),
    "missing label column": (_without("tips"), r"missing column\(s\) tips that the schema expects"),
    "wrong type in a numeric column": (
        _set("trip_start_hour", "noon"),
        r"column 'trip_start_hour' must hold integer values at line 7 \(value 'noon'\)",
    ),
    "NaN and inf values": (_set("fare", "inf"), r"column 'fare' holds inf at line 7"),
    "truncated file": (
        lambda text: text[: text.rindex(b"\n", 0, -1) + 25],
        rf"line {SAMPLE_ROWS + 1} has \d+ field\(s\) where the header has 18: .*truncated",
    ),
    "non-UTF-8 bytes": (
        lambda text: text.replace(b"Cash", b"Ca\xf1sh", 1),
        r"line \d+ holds bytes that are not UTF-8",
    ),
    "very long line": (
        _set("company", "x" * (3 << 20)),
        r"line 7 is 3,1\d\d,\d+ bytes long \(the limit is 1,048,576\)",
    ),
}
BYTE_EDITS = {"empty CSV", "header only", "truncated file", "non-UTF-8 bytes"}


def _bad_folder(stage: Stage, case: str) -> Path:
    edit, _ = BAD_FILES[case]
    header, rows = _read_sample()
    rows = rows[:SAMPLE_ROWS]
    folder = stage.home / "bad" / re.sub(r"\W+", "-", case)
    if case in BYTE_EDITS:
        path = _write_csv(folder, header, rows) / "data.csv"
        path.write_bytes(edit(path.read_bytes()))
    else:
        _write_csv(folder, *edit(header, rows))
    return folder


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_stopped_before_anything_runs(stage, crashed_then_resumed, case):
    before, runs = served(stage), run_ids(stage)
    result = run_cli(stage, _bad_folder(stage, case))
    assert result.returncode == 2, result.stdout + result.stderr
    assert re.search(r"Input error: \S+data\.csv: " + BAD_FILES[case][1], result.stdout), (
        result.stdout
    )
    assert "Nothing was trained or pushed." in result.stdout
    assert run_ids(stage) == runs, "no pipeline run was even started"
    assert_still_serving(stage, before)
    _record(case, result.stdout, exit=2, trained="no", pushed="no")


# --- Bad data: stopped by the data gate, before Transform ---


def _sample_with(edit: Callable[[dict, random.Random], dict], extra: tuple[str, ...] = ()):
    header, rows = _read_sample()
    rng = random.Random(0)
    return [*header, *extra], [edit(dict(r), rng) for r in rows]


def _unseen_payment_type(row, rng):
    if rng.random() < 0.3:
        row["payment_type"] = "Bitcoin"
    return row


def _cent_more_fare(row, rng):
    """New data (nothing is cached) that passes the gate."""
    if row["fare"] and rng.random() < 0.1:
        row["fare"] = f"{float(row['fare']) + 0.01:.2f}"
    return row


def _tenfold_fare(row, rng):
    row["fare"] = f"{float(row['fare']) * 10:.2f}"
    return row


def _assert_gate_blocked(stage: Stage, result, before: Served) -> RunSummary:
    assert result.returncode == 3, result.stdout + result.stderr
    assert "DataGate stopped the run: the data is not fit to train on." in result.stdout
    assert "Nothing was trained or pushed; the served model is unchanged." in result.stdout
    summary = latest_run(stage)
    assert summary.gate is not None and not summary.gate.passed, "recorded in ML Metadata"
    assert P.TRANSFORM not in summary.executions and P.TRAINER not in summary.executions
    assert_still_serving(stage, before)
    return summary


def test_unseen_category_in_30_percent_of_rows_is_blocked(stage, crashed_then_resumed):
    before = served(stage)
    data = _write_csv(stage.home / "bitcoin", *_sample_with(_unseen_payment_type))
    result = run_cli(stage, data)
    summary = _assert_gate_blocked(stage, result, before)
    assert re.search(
        r"'payment_type' \(schema; .*\): .*missing from the schema: Bitcoin", result.stdout
    )
    assert "--allow-anomalies payment_type" in result.stdout
    assert {f.feature for f in summary.gate.blocking} == {"payment_type"}
    _record("unseen category in 30% of rows", result.stdout, exit=3, trained="no", pushed="no")


def test_tenfold_fares_are_blocked_as_drift(stage, crashed_then_resumed):
    before = served(stage)
    data = _write_csv(stage.home / "fares-x10", *_sample_with(_tenfold_fare))
    result = run_cli(stage, data)
    summary = _assert_gate_blocked(stage, result, before)
    assert re.search(
        r"'fare' \(drift; train\): .*Jensen-Shannon divergence .* above the threshold 0\.2",
        result.stdout,
    )
    assert [(f.feature, f.check) for f in summary.gate.blocking] == [("fare", "drift")]
    assert summary.gate.compared_with, "drift was measured against the accepted data"
    _record("skewed span (fares x10)", result.stdout, exit=3, trained="no", pushed="no")


# --- Impossible data never trains; every remedy the gate prints works ---


def _accepted_data_ids(stage: Stage) -> set[int]:
    """The gate results that passed: what later runs measure drift against."""
    import ml_metadata as mlmd
    from tfx.orchestration import metadata

    from pipeline.components.data_gate.artifacts import DataValidation

    store = mlmd.MetadataStore(
        metadata.sqlite_metadata_connection_config(str(stage.root / "metadata.sqlite"))
    )
    return {a.id for a in store.get_artifacts_by_type(DataValidation.TYPE_NAME)}


def _advice(output: str) -> list[str]:
    """The flag the gate's message tells a person to rerun with."""
    match = re.search(r"run again with (--allow-anomalies \S+)", output)
    assert match, output
    return match.group(1).split()


def _fresh(stage: Stage, tmp_path: Path) -> tuple[Stage, Path]:
    """A root of its own (and a serving folder): data accepted here never becomes the
    drift reference of the cases after this one."""
    return dataclasses.replace(stage, root=tmp_path / "fresh-root"), tmp_path / "serving"


def test_following_the_gates_advice_trains_on_the_reviewed_data(stage, tmp_path):
    fresh, serving = _fresh(stage, tmp_path)
    data = _write_csv(tmp_path / "bitcoin", *_sample_with(_unseen_payment_type))
    blocked = run_cli(fresh, data, serving_dir=serving)
    assert blocked.returncode == 3, blocked.stdout + blocked.stderr
    advice = _advice(blocked.stdout)
    assert advice == ["--allow-anomalies", "payment_type"]
    result = run_cli(fresh, data, *advice, serving_dir=serving)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"✓ Trainer\s+executed", result.stdout), result.stdout
    assert "Pushed:" in result.stdout and "Traceback" not in result.stdout + result.stderr
    _record(
        "unseen category, rerun with the gate's advice " + " ".join(advice),
        result.stdout,
        exit=0,
        trained="yes",
    )


def test_updating_the_schema_as_advised_trains_on_the_new_data(stage, tmp_path):
    from schemas import packaged_schema

    fresh, serving = _fresh(stage, tmp_path)
    data = _write_csv(tmp_path / "bitcoin", *_sample_with(_unseen_payment_type))
    schema = tmp_path / "reviewed-schema.pbtxt"
    shutil.copy(packaged_schema(), schema)
    update = subprocess.run(
        [sys.executable, "-m", "pipeline", "schema", "update", "--data-root", str(data),
         "--schema", str(schema)],
        capture_output=True, text=True, timeout=300, cwd=PROJECT,
    )  # fmt: skip
    assert update.returncode == 0 and "payment_type" in update.stdout, update.stderr
    result = run_cli(fresh, data, "--schema", str(schema), serving_dir=serving)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"✓ Trainer\s+executed", result.stdout), result.stdout
    summary = latest_run(fresh)
    assert summary.gate.passed and not summary.gate.blocking
    _record("unseen category, rerun after `schema update`", result.stdout, exit=0, trained="yes")


def _whole_fares(row, rng):
    row["fare"] = str(round(float(row["fare"])))
    return row


def test_whole_number_fares_are_read_as_the_float_column_they_are(stage, tmp_path):
    # A fresh root: no earlier data to measure drift against, so the column's type
    # is all that could stop it.
    data = _write_csv(tmp_path / "whole-fares", *_sample_with(_whole_fares))
    fresh, serving = _fresh(stage, tmp_path)
    result = run_cli(fresh, data, serving_dir=serving)
    assert result.returncode == 0, result.stdout + result.stderr
    summary = latest_run(fresh)
    assert summary.gate.passed
    assert not [f for f in summary.gate.findings if f.feature == "fare"]
    assert re.search(r"✓ Trainer\s+executed", result.stdout), result.stdout
    _record("every fare a whole number (12, not 12.0)", result.stdout, exit=0, trained="yes")


def _impossible_fares(row, rng):
    if rng.random() < 0.01:
        row["fare"], row["trip_miles"] = "1e308", "1e308"
    return row


def test_impossible_amounts_are_blocked_and_never_become_the_drift_reference(
    stage, crashed_then_resumed
):
    before = served(stage)
    accepted = _accepted_data_ids(stage)
    data = _write_csv(stage.home / "fares-1e308", *_sample_with(_impossible_fares))
    result = run_cli(stage, data)
    summary = _assert_gate_blocked(stage, result, before)
    assert set(summary.gate.out_of_bounds) == {"fare", "trip_miles"}
    assert "values no real example can have" in result.stdout
    advice = re.search(r"run again with --allow-anomalies (\S+)", result.stdout)
    assert advice is None or not {"fare", "trip_miles"} & set(advice.group(1).split(",")), (
        "no flag is offered to wave impossible values through"
    )
    assert _accepted_data_ids(stage) == accepted, "the blocked data is not a drift reference"
    _record("1% of fares and distances at 1e308", result.stdout, exit=3, trained="no")


def test_timestamps_in_the_future_are_blocked_on_a_first_run(stage, tmp_path):
    def year_2200(row, rng):
        if rng.random() < 0.1:
            row["trip_start_timestamp"] = "7258118400"
        return row

    data = _write_csv(tmp_path / "year-2200", *_sample_with(year_2200))
    fresh, serving = _fresh(stage, tmp_path)
    result = run_cli(fresh, data, serving_dir=serving)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "'trip_start_timestamp' (bounds; " in result.stdout
    assert "2200-01-01 00:00 UTC" in result.stdout and "seconds since 1970" in result.stdout
    assert not (tmp_path / "serving").exists()
    _record("10% of timestamps in 2200, first run", result.stdout, exit=3, trained="no")


def test_a_label_of_one_class_is_blocked_before_training(stage, crashed_then_resumed):
    before = served(stage)

    def no_tips(row, rng):
        row["tips"] = "0"
        return row

    data = _write_csv(stage.home / "no-tips", *_sample_with(no_tips))
    result = run_cli(stage, data, "--allow-anomalies", "tips")
    summary = _assert_gate_blocked(stage, result, before)
    [finding] = [f for f in summary.gate.blocking if f.check == "label"]
    assert finding.kind == "ONE_CLASS"
    assert "of one class ('not big tipper')" in result.stdout
    _record("every label one class (no tips)", result.stdout, exit=3, trained="no")


# --- Accepted data, interrupted with Ctrl-C once it passed the gate ---


def _interrupt_after_gate(
    stage: Stage, data: Path, *extra: str, signum: int = signal.SIGINT
) -> tuple[int, str]:
    run = Background(stage, data, *extra)
    run.wait_for(lambda: "DataGate" in run.text(), "the gate's decision")
    time.sleep(1)
    return run.signal(signum), run.text()


# A component after the gate: a signal that lands inside a finalizer is
# raised again at the next component's start.
_STOPPED_AFTER_GATE = re.compile(r"✗ interrupted during (Transform|Trainer|Attributions)\b")


def test_extra_column_is_reported_and_does_not_stop_training(stage, crashed_then_resumed):
    before = served(stage)

    def add_rating(row, rng):
        return {**row, "driver_rating": str(rng.randint(1, 5))}

    data = _write_csv(stage.home / "extra-column", *_sample_with(add_rating, ("driver_rating",)))
    code, output = _interrupt_after_gate(stage, data)
    assert re.search(r"✓ DataGate\s+executed", output), output
    assert code == 130 and _STOPPED_AFTER_GATE.search(output), output
    assert "(SIGINT)" in output and "Nothing new was pushed" in output
    summary = latest_run(stage)
    assert summary.gate.passed
    [finding] = summary.gate.findings[:1]
    assert finding.feature == "driver_rating" and "SCHEMA_NEW_COLUMN" in finding.kind
    assert not finding.blocking and "not used for training" in finding.description
    assert_still_serving(stage, before)
    _record("extra unknown column (then Ctrl-C)", output, exit=130, gate="passed", pushed="no")


def test_worse_model_is_not_blessed_and_not_pushed(stage, crashed_then_resumed):
    before, on_disk = served(stage), versions_on_disk(str(stage.base))
    result = run_cli(stage, sample_data_root(), "--train-steps", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = latest_run(stage)
    assert summary.executions[P.TRAINER] == "executed"
    assert summary.blessed is False and summary.failed_thresholds
    assert "Blessed:    no" in result.stdout
    assert "Pushed:     nothing new (the served model is unchanged)" in result.stdout
    assert versions_on_disk(str(stage.base)) == on_disk
    assert_still_serving(stage, before)
    _record("a model worse than the served one", result.stdout, exit=0, trained="yes", pushed="no")


@pytest.fixture
def tiny_serving_dir(stage):
    """A serving folder on a filesystem with room for the served version and little more."""
    mount = stage.home / "tiny"
    mount.mkdir()
    production = stage.base / versions_on_disk(str(stage.base))[-1]
    size = sum(p.stat().st_size for p in production.rglob("*") if p.is_file())
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size + (512 << 10)}", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        copy = mount / MODEL / production.name
        shutil.copytree(production, copy)
        # As if pushed before model cards existed: with its card the Pusher
        # would recognise the (cached) model as already pushed there and
        # skip the push, so the disk would never fill.
        (copy / layout.MODEL_CARD_JSON).unlink()
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_disk_full_on_the_push_target(stage, crashed_then_resumed, tiny_serving_dir, server_pool):
    base = tiny_serving_dir / MODEL
    server = server_pool.start(
        f"--model_name={MODEL}", f"--model_base_path={base}", model=MODEL
    )  # fmt: skip
    before = served(stage, url=server.rest_url)
    result = run_cli(stage, sample_data_root(), serving_dir=tiny_serving_dir)
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"✗ Pusher failed: .*No space left on device", result.stdout), result.stdout
    assert "Nothing new was pushed; the served model is unchanged." in result.stdout
    assert os.listdir(base) == [before.version], "no partial version, no staging left"
    assert_still_serving(stage, before, url=server.rest_url)
    _record("disk full on the push target", result.stdout, exit=1, trained="cached", pushed="no")


def test_sigterm_stops_a_run_like_ctrl_c(stage, crashed_then_resumed):
    """What `docker stop`, systemd and `timeout` send: a message, a report, exit 143."""
    before = served(stage)
    data = _write_csv(stage.home / "sigterm", *_sample_with(_cent_more_fare))
    code, output = _interrupt_after_gate(stage, data, signum=signal.SIGTERM)
    assert code == 143, output
    assert _STOPPED_AFTER_GATE.search(output) and "(SIGTERM)" in output, output
    assert "Nothing new was pushed; the served model is unchanged." in output
    assert re.search(r"Report:\s+\S+index\.html", output), "the report of what ran"
    assert "Traceback" not in output
    with open(stage.root / LOCK_FILE) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released: no BlockingIOError
    assert_still_serving(stage, before)
    _record("SIGTERM after the gate", output, exit=143, gate="passed", pushed="no")


def test_a_reviewed_drift_is_let_through_with_allow_anomalies(stage, crashed_then_resumed):
    before = served(stage)
    data = _write_csv(stage.home / "fares-x10-reviewed", *_sample_with(_tenfold_fare))
    code, output = _interrupt_after_gate(stage, data, "--allow-anomalies", "fare")
    assert code == 130, output
    summary = latest_run(stage)
    assert summary.gate.passed
    assert [(f.feature, f.check, f.blocking) for f in summary.gate.findings] == [
        ("fare", "drift", False)
    ]
    assert_still_serving(stage, before)
    _record("fares x10 with --allow-anomalies fare (then Ctrl-C)", output, exit=130, gate="passed")
