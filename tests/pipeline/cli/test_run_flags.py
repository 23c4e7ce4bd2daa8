"""Every flag of run_local.py, given a value no run can use: exit 2, one line, no traceback.

The walk is over the parser's own flags, so a flag added without a bad-value
case here fails `test_every_flag_has_a_case`. Each case runs the real command
in this process (the checks come before any import of TensorFlow's
pipeline code); nothing may be written to the pipeline root's store or the
serving folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from pipeline.cli import run as run_cli

# Flags without a value to get wrong.
SWITCHES = {
    "--help",
    "--tune",
    "--fairness-blocking",
    "--no-cache",
    "--verbose",
    "--report-only",
}

# flag -> (bad value, words of the message); "{tmp}" is the test's folder.
CASES: dict[str, list[tuple[list[str], str]]] = {
    "--dataset": [
        (["--dataset", "no-such-data"], "no dataset 'no-such-data'"),
        (["--dataset", "{tmp}/missing.toml"], "no such dataset file"),
    ],
    "--data-root": [
        (["--data-root", "{tmp}/nowhere"], "--data-root {tmp}/nowhere does not exist"),
        (["--data-root", "{tmp}/a-file"], "is not a folder"),
    ],
    "--schema": [
        (["--schema", "{tmp}/nowhere.pbtxt"], "--schema {tmp}/nowhere.pbtxt does not exist"),
        (["--schema", "{tmp}"], "--schema {tmp} is not a file"),
        (["--schema", "{tmp}/a-file"], "{tmp}/a-file: not a readable text-format schema"),
    ],
    "--pipeline-root": [
        (["--pipeline-root", "{tmp}/a-file"], "--pipeline-root {tmp}/a-file must be a folder"),
        (["--pipeline-root", "{tmp}/a-file/root"], "({tmp}/a-file is a file)"),
    ],
    "--serving-dir": [
        (["--serving-dir", "{tmp}/a-file"], "--serving-dir {tmp}/a-file must be a folder"),
        (
            ["--serving-dir", "{tmp}/serving-with-file", "--model-name", "taxi"],
            "{tmp}/serving-with-file/taxi is a file",
        ),
    ],
    "--model-name": [
        (["--model-name", "../escaped"], "--model-name '../escaped': use lowercase letters"),
        (["--model-name", ""], "--model-name '': use lowercase letters"),
        (["--model-name", "a/b"], "--model-name 'a/b'"),
    ],
    "--pipeline-name": [
        (["--pipeline-name", ".."], "--pipeline-name '..'"),
        (["--pipeline-name", "Taxi Runs"], "--pipeline-name 'Taxi Runs'"),
    ],
    "--train-steps": [
        (["--train-steps", "0"], "--train-steps must be at least 1"),
        (["--train-steps", "many"], "argument --train-steps: invalid int value: 'many'"),
    ],
    "--seed": [
        (["--seed", "-1"], "seed must be between 0 and 4294967295, got -1"),
        (["--seed", str(2**32)], "got 4294967296"),
    ],
    "--tune-trials": [(["--tune-trials", "0"], "--tune-trials and --tune-steps must be")],
    "--tune-steps": [(["--tune-steps", "-3"], "--tune-trials and --tune-steps must be")],
    "--max-fpr-gap": [
        (["--max-fpr-gap", "-0.1"], "max_false_positive_rate_gap must be in [0, 1]"),
        (["--max-fpr-gap", "nan"], "max_false_positive_rate_gap must be in [0, 1]"),
    ],
    "--max-fnr-gap": [(["--max-fnr-gap", "2"], "max_false_negative_rate_gap must be in [0, 1]")],
    "--fairness-min-examples": [
        (["--fairness-min-examples", "0"], "min_slice_examples must be at least 1")
    ],
    "--fairness-slice": [
        (["--fairness-slice", "no_such_column"], "fairness slice features must be model features")
    ],
    "--orchestrator": [(["--orchestrator", "airflow"], "argument --orchestrator: invalid choice")],
    "--allow-anomalies": [
        (["--allow-anomalies", "fair"], "--allow-anomalies names 'fair'"),
        (["--allow-anomalies", "fare,payment_typ"], "did you mean 'payment_type'?"),
    ],
    "--beam-runner": [
        (["--beam-runner", "dask"], "The dask runner is refused"),
        (["--beam-runner", "fast"], "argument --beam-runner: invalid choice"),
    ],
    "--direct-running-mode": [
        (["--direct-running-mode", "fast"], "argument --direct-running-mode: invalid choice")
    ],
    "--direct-num-workers": [
        (["--direct-num-workers", "-1"], "--direct-num-workers must be 0 (one per CPU) or more"),
        (["--direct-num-workers", "two"], "invalid int value: 'two'"),
    ],
    "--job-endpoint": [
        (
            ["--beam-runner", "portable", "--worker-pool", "localhost:1", "--job-endpoint", "h"],
            "--job-endpoint must be HOST:PORT, got 'h'",
        ),
    ],
    "--job-server-jar": [
        (
            ["--beam-runner", "flink", "--job-server-jar", "{tmp}/missing.jar"],
            "{tmp}/missing.jar",
        ),
    ],
    "--worker-pool": [(["--worker-pool", "localhost:50000"], "--worker-pool applies to")],
    "--worker-image": [(["--worker-image", "project:latest"], "--worker-image applies to")],
    "--project": [(["--project", "p"], "--project applies to --beam-runner dataflow")],
    "--region": [(["--region", "r"], "--region applies to --beam-runner dataflow")],
    "--temp-location": [
        (
            [
                "--beam-runner",
                "dataflow",
                "--project",
                "p",
                "--region",
                "r",
                "--temp-location",
                "/tmp/local",
            ],
            "--temp-location",
        ),
    ],
    "--beam-arg": [
        (["--beam-arg=--runner=DataflowRunner"], "choose the runner with --beam-runner"),
    ],
}


PROJECT = Path(__file__).resolve().parents[3]
OUTCOMES: list[tuple[str, int, str]] = []


@pytest.fixture(scope="module", autouse=True)
def input_suite_record():
    """The observed outcome of every case, in test-artifacts/input-suite.md."""
    yield
    out = PROJECT / "test-artifacts" / "input-suite.md"
    out.parent.mkdir(exist_ok=True)
    lines = ["| command line | exit | message |", "|---|---|---|"]
    lines += [f"| `{a}` | {code} | {m.replace('|', '/')} |" for a, code, m in OUTCOMES]
    out.write_text("\n".join(lines) + "\n")


def _flags() -> set[str]:
    parser = argparse.ArgumentParser()
    run_cli.add_run_arguments(parser)
    return {s for a in parser._actions for s in a.option_strings if s.startswith("--")}


def test_every_flag_has_a_case():
    assert _flags() - SWITCHES == set(CASES), "give each new flag a bad value below"


@pytest.fixture
def place(tmp_path, sample_rows, csv_writer):
    """A tiny valid data root, a file where folders belong, an empty serving folder."""
    csv_writer(tmp_path / "data" / "data.csv", sample_rows[:300])
    (tmp_path / "a-file").write_text("not a folder, not a schema {")
    (tmp_path / "serving-with-file").mkdir()
    (tmp_path / "serving-with-file" / "taxi").write_text("a file")
    return tmp_path


def _walk():
    for flag, cases in CASES.items():
        for i, (argv, words) in enumerate(cases):
            yield pytest.param(argv, words, id=f"{flag}-{i}")


def _stops_before_anything_runs(place, capsys, argv: list[str], words: str) -> None:
    base = [
        "--data-root", str(place / "data"), "--pipeline-root", str(place / "root"),
        "--serving-dir", str(place / "serving"),
    ]  # fmt: skip
    argv = [a.replace("{tmp}", str(place)) for a in argv]
    try:
        code = run_cli.main([*base, *argv])
    except SystemExit as e:  # argparse's usage errors
        code = e.code
    said = capsys.readouterr()
    text = " ".join((said.out + said.err).split())
    message = next(
        (line for line in (said.out + said.err).splitlines() if "error" in line.lower()), text
    )
    tmp = str(place)
    OUTCOMES.append((" ".join(argv).replace(tmp, "TMP"), code, message.strip().replace(tmp, "TMP")))
    assert code == 2, text
    assert words.replace("{tmp}", str(place)) in text
    assert "Traceback" not in text
    assert not (place / "root" / "metadata.sqlite").exists()
    assert not (place / "serving").exists()


@pytest.mark.parametrize(("argv", "words"), list(_walk()))
def test_a_bad_value_stops_before_anything_runs(place, capsys, argv, words):
    _stops_before_anything_runs(place, capsys, argv, words)


def _lines(place) -> list[str]:
    return (place / "data" / "data.csv").read_text().splitlines()


def _bom(place) -> bytes:
    return b"\xef\xbb\xbf" + (place / "data" / "data.csv").read_bytes()


def _named_twice(column: str):
    def write(place) -> str:
        header, *rows = _lines(place)
        names = header.split(",")
        i = names.index(column)
        return "\n".join([f"{header},{column}"] + [f"{r},{r.split(',')[i]}" for r in rows]) + "\n"

    return write


def _quoted_header(place) -> str:
    header, *rows = _lines(place)
    return "\n".join([",".join(f'"{n}"' for n in header.split(",")), *rows]) + "\n"


def _unnamed_column(place) -> str:
    header, *rows = _lines(place)
    return "\n".join([f"{header},", *(f"{r},1" for r in rows)]) + "\n"


def _unclosed_quote(place) -> str:
    header, *rows = _lines(place)
    rows[4] = rows[4] + ',"'
    return "\n".join([f"{header},note", *(f"{r}," for r in rows[:4]), *rows[4:]]) + "\n"


# What is wrong with the data file -> the words of the message.
BAD_FILES = {
    "byte-order mark": (_bom, "data.csv: starts with a UTF-8 byte-order mark"),
    "required column twice": (_named_twice("fare"), "column 'fare' appears 2 times"),
    "optional column twice": (_named_twice("company"), "column 'company' appears 2 times"),
    "quoted header names": (_quoted_header, "the header quotes column names"),
    "unnamed column": (_unnamed_column, "of the header has no name"),
    "quote never closed": (_unclosed_quote, "opens a quoted field that is never closed"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_csv_file_stops_before_anything_runs(place, capsys, case):
    write, words = BAD_FILES[case]
    content = write(place)
    bad = place / "bad"
    bad.mkdir()
    target = bad / "data.csv"
    target.write_bytes(content) if isinstance(content, bytes) else target.write_text(content)
    _stops_before_anything_runs(place, capsys, ["--data-root", str(bad)], words)


def test_a_broken_symlink_stops_before_anything_runs(place, capsys):
    (place / "data" / "more.csv").symlink_to(place / "gone.csv")
    _stops_before_anything_runs(place, capsys, [], "more.csv is a symbolic link to")
