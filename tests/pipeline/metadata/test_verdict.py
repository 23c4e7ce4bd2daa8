"""One verdict per run, in the words the report's banner and the terminal both show."""

from __future__ import annotations

import dataclasses
import io
import json

import pytest
from rich.console import Console

from pipeline import steps as P
from pipeline.components.data_gate.decision import Finding, decide
from pipeline.metadata import verdict as V
from pipeline.metadata.run import recorded_error
from pipeline.metadata.summary import RunSummary
from pipeline.runners.terminal import print_summary

ALL_RAN = {name: "executed" for name in (P.DATA_GATE, P.TRAINER, P.EVALUATOR, P.PUSHER)}
THRESHOLDS = [
    {"metric": "auc", "required": ">= 0.7", "measured": 0.9612, "result": "passed"},
    {
        "metric": "auc",
        "required": "change >= -0.01 against the baseline",
        "measured": 0.0021,
        "result": "passed",
    },
]
BITCOIN = Finding(
    check="schema",
    split="eval",
    feature="payment_type",
    kind="ENUM_TYPE_UNEXPECTED_STRING_VALUES",
    description="Examples contain values missing from the schema: Bitcoin.",
    blocking=True,
)


def _summary(**changes) -> RunSummary:
    pushed = RunSummary(
        run_id="run-1",
        executions=dict(ALL_RAN),
        split_rows={"train": 100, "eval": 50},
        anomalies={},
        gate=decide([]),
        metrics={"auc": 0.9612},
        baseline_metrics={},
        failed_thresholds=[],
        blessed=True,
        pushed_path="/serving/taxi/3",
        pushed_version="3",
        thresholds=THRESHOLDS,
    )
    return dataclasses.replace(pushed, **changes)


def _said(summary: RunSummary) -> str:
    console = Console(record=True, width=300, file=io.StringIO())
    print_summary(summary, console=console, seconds=1.0)
    return console.export_text()


def test_a_pushed_run_names_its_version_and_its_metrics_against_their_bars():
    shown = V.verdict(_summary())
    assert (shown.kind, shown.title, shown.good) == (V.PUSHED, "Blessed and pushed", True)
    assert shown.facts == (
        (
            "Blessed",
            "yes: auc 0.9612 (required >= 0.7); auc +0.0021 (required change >= "
            "-0.01 against the baseline)",
        ),
        ("Pushed", "version 3 -> /serving/taxi/3"),
    )


def test_a_blessed_model_already_served_is_not_called_pushed():
    shown = V.verdict(_summary(pushed_path=None, pushed_version=None, already_pushed_version="2"))
    assert (shown.kind, shown.title) == (V.BLESSED, "Blessed, already served")
    assert shown.facts[1] == ("Pushed", "nothing new; this model already is version 2")
    cached = V.verdict(_summary(executions={**ALL_RAN, P.PUSHER: "cached"}))
    assert (cached.kind, cached.title) == (V.BLESSED, "Blessed, already served")
    assert "from an earlier run" in cached.facts[1][1]


def test_a_model_not_blessed_lists_the_thresholds_it_failed():
    failures = ["Overall: auc = 0.6000, below the required 0.7000"]
    shown = V.verdict(
        _summary(blessed=False, pushed_path=None, pushed_version=None, failed_thresholds=failures)
    )
    assert (shown.kind, shown.title, shown.good) == (V.NOT_BLESSED, "Not blessed", False)
    assert shown.facts == (
        ("Blessed", "no"),
        ("Pushed", "nothing new (the served model is unchanged)"),
    )
    assert shown.reasons == tuple(failures)


def test_a_blocked_run_gives_the_reason_and_the_exact_flag_to_rerun_with():
    shown = V.verdict(
        _summary(gate=decide([BITCOIN]), executions={P.DATA_GATE: "failed"}, blessed=None)
    )
    assert shown.kind == V.BLOCKED and not shown.good
    assert shown.facts[0] == (
        "Stopped",
        "DataGate stopped the run: the data is not fit to train on.",
    )
    assert shown.facts[1] == ("Pushed", V.NOTHING_TRAINED)
    assert shown.reasons == (
        "'payment_type' (schema; eval): Examples contain values missing from the schema: Bitcoin.",
    )
    assert any("run again with --allow-anomalies payment_type" in r for r in shown.remedies)


def test_a_failed_run_names_the_component_and_its_first_error_line():
    executions = {P.DATA_GATE: "executed", P.TRAINER: "failed"}
    errors = {P.TRAINER: "ValueError: labels must be 0 or 1"}
    shown = V.verdict(_summary(executions=executions, errors=errors, blessed=None))
    assert (shown.kind, shown.title) == (V.FAILED, "Failed at Trainer")
    assert shown.facts[0] == ("Failed", "Trainer failed: ValueError: labels must be 0 or 1")
    unrecorded = V.verdict(_summary(executions=executions, blessed=None))
    assert unrecorded.facts[0] == ("Failed", "Trainer failed (no error recorded)")


def test_a_run_that_ended_before_the_evaluator_is_not_evaluated():
    shown = V.verdict(_summary(executions={P.DATA_GATE: "executed"}, blessed=None))
    assert (shown.kind, shown.title) == (V.UNFINISHED, "Not evaluated")
    assert shown.facts[0] == ("Stopped", "the run ended after DataGate; Evaluator did not run")
    interrupted = V.verdict(_summary(executions={P.TRAINER: "canceled"}, blessed=None))
    assert interrupted.facts[0] == ("Stopped", "Trainer was canceled")


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"blessed": False, "pushed_path": None, "failed_thresholds": ["Overall: auc low"]},
    ],
)
def test_the_terminal_starts_with_the_verdict_and_says_it_once(changes):
    summary = _summary(**changes)
    lines = _said(summary).splitlines()
    shown = V.verdict(summary)
    assert lines[1] == "Run run-1 finished in 1.0 s"
    assert lines[2] == f"  Verdict:    {shown.title}"
    assert lines[3].startswith(f"  Blessed:    {'yes' if summary.blessed else 'no'}")
    said = "\n".join(lines)
    assert said.count("Blessed:") == 1 and said.count("Pushed:") == 1
    pushed = "version 3 -> /serving/taxi/3" if summary.blessed else shown.facts[1][1]
    assert f"  Pushed:     {pushed}" in lines
    for reason in shown.reasons:
        assert said.count(reason) == 1


def _execution(message: str):
    from ml_metadata.proto import metadata_store_pb2

    from pipeline.metadata.store import EXECUTION_RESULT_PROPERTY

    execution = metadata_store_pb2.Execution()
    recorded = json.dumps({"code": 2, "resultMessage": message})
    execution.custom_properties[EXECUTION_RESULT_PROPERTY].string_value = recorded
    return execution


def test_the_error_line_is_read_from_what_tfx_recorded():
    traceback = (
        "Traceback (most recent call last):\n"
        '  File "executor.py", line 3, in Do\n'
        "    raise OSError(28)\n"
        "OSError: [Errno 28] No space left on device\n"
    )
    assert recorded_error(_execution(traceback)) == "OSError: [Errno 28] No space left on device"
    assert recorded_error(_execution("\n  disk full\n")) == "disk full"
    assert recorded_error(_execution("x" * 1000)) == "x" * 300 + "..."
    from ml_metadata.proto import metadata_store_pb2

    assert recorded_error(metadata_store_pb2.Execution()) == ""


def test_a_blocked_run_in_the_terminal_reads_as_the_banner_does():
    from pipeline.runners.local import report_blocked_gate

    summary = _summary(gate=decide([BITCOIN]), executions={P.DATA_GATE: "failed"}, blessed=None)
    console = Console(record=True, width=300, file=io.StringIO())
    assert report_blocked_gate(summary, console)
    lines = console.export_text().splitlines()
    assert lines[:2] == [
        "  Verdict:    Blocked by the data gate",
        "  Stopped:    DataGate stopped the run: the data is not fit to train on.",
    ]
    assert f"  Pushed:     {V.NOTHING_TRAINED}" in lines
    assert any("run again with --allow-anomalies payment_type" in line for line in lines)
    assert not report_blocked_gate(_summary(), console), "a gate that passed is not reported"
