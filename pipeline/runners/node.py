"""Run one node of a compiled pipeline in this process: one orchestrator task.

`python -m pipeline run-node --ir FILE --node ID --run-id RUN` is what each
Airflow task runs (any executor: the task is a command line). It launches the
node with TFX's portable `Launcher`, the one LocalDagRunner uses for every
node, so ML Metadata caching, lineage and the data gate behave as in a local
run; the tasks of one orchestrator run share RUN, TFX's pipeline run id.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from pipeline import steps
from pipeline.config import allowed_anomalies, unknown_allowed
from pipeline.runners import ir as pipeline_ir
from pipeline.runners.local import (
    EXIT_BAD_INPUT,
    EXIT_BLOCKED,
    EXIT_FAILED,
    EXIT_OK,
    first_meaningful_error,
    report_blocked_gate,
    show_report,
)


@dataclasses.dataclass(frozen=True)
class NodeOutcome:
    node_id: str
    status: str  # "executed" or "cached"
    seconds: float


class ShortRecords(logging.Filter):
    """Cut log records longer than `max_lines` lines to their start."""

    def __init__(self, max_lines: int = 12) -> None:
        super().__init__()
        self.max_lines = max_lines

    def filter(self, record: logging.LogRecord) -> bool:
        lines = record.getMessage().splitlines()
        if len(lines) > self.max_lines:
            kept = "\n".join(lines[: self.max_lines])
            record.msg, record.args = f"{kept}\n... ({len(lines) - self.max_lines} more lines)", ()
        return True


class NodeFailed(Exception):
    """The node ran and failed, or could not run."""


def check_code(ir, ir_path: Path) -> None:
    """IrError unless the installed code is the code the pipeline was compiled with.

    The fingerprint keys the cache of Transform and Trainer: run with other code,
    they would reuse outputs the new code never made.
    """
    from pipeline.fingerprints import code_fingerprint

    hooks = pipeline_ir.dataset(ir).hooks
    installed = code_fingerprint(modules=(hooks,) if hooks else ())
    compiled = pipeline_ir.compiled_fingerprint(ir)
    if installed != compiled:
        raise pipeline_ir.IrError(
            f"{ir_path}: compiled with models/ (and dataset hooks) at fingerprint {compiled}, "
            f"but the installed code is at {installed}; compile the pipeline again "
            "(python -m pipeline compile airflow) so cached Transform and Trainer outputs "
            "are not reused for different code"
        )


def check_data_root(ir, folder: str) -> None:
    """DataError naming the file and column unless `folder`'s CSV files fit the schema."""
    from pipeline.inputs import check_data_root as check

    spec = pipeline_ir.dataset(ir)
    check(folder, pipeline_ir.schema(ir), spec.missing_values, spec.file_pattern)


def _check_allowed(ir, allow: str) -> None:
    known = [f.name for f in pipeline_ir.schema(ir).feature]
    problem = unknown_allowed(allow, known)
    if problem:
        raise pipeline_ir.IrError(problem)


def launch(ir, node_id: str) -> NodeOutcome:
    """Run node `node_id` of `ir` (its run id already filled) in this process."""
    from tfx.orchestration import metadata
    from tfx.orchestration.local import runner_utils
    from tfx.orchestration.portable import launcher

    from pipeline.runners.beam_in_process import executors_in_this_process

    pipeline_node = pipeline_ir.node(ir, node_id)
    deployment = runner_utils.extract_local_deployment_config(ir)
    connection = pipeline_ir.metadata_connection(ir)
    started = time.monotonic()
    with executors_in_this_process():
        result = launcher.Launcher(
            pipeline_node=pipeline_node,
            mlmd_connection=metadata.Metadata(connection),
            pipeline_info=ir.pipeline_info,
            pipeline_runtime_spec=ir.runtime_spec,
            executor_spec=runner_utils.extract_executor_spec(deployment, node_id),
            custom_driver_spec=runner_utils.extract_custom_driver_spec(deployment, node_id),
        ).launch()
    status = _recorded_status(connection, _execution_id(result), node_id)
    return NodeOutcome(node_id, status, time.monotonic() - started)


def _execution_id(result) -> int | None:
    # A component's launch returns an ExecutionInfo; a resolver's, the Execution.
    if result is None:
        return None
    return getattr(result, "execution_id", None) or getattr(result, "id", None) or None


def _recorded_status(connection, execution_id: int | None, node_id: str) -> str:
    """ "executed" or "cached", as ML Metadata recorded the execution; NodeFailed otherwise."""
    from ml_metadata.proto import metadata_store_pb2
    from tfx.orchestration import metadata

    if execution_id is None:
        raise NodeFailed(
            f"{node_id} did not run: its inputs are not in this run; run its upstream "
            "tasks first, with the same --run-id"
        )
    with metadata.Metadata(connection) as m:
        [execution] = m.store.get_executions_by_id([execution_id])
    state = execution.last_known_state
    if state == metadata_store_pb2.Execution.CACHED:
        return "cached"
    if state == metadata_store_pb2.Execution.COMPLETE:
        return "executed"
    name = metadata_store_pb2.Execution.State.Name(state)
    error = _recorded_error(execution)
    raise NodeFailed(
        f"ML Metadata records execution {execution_id} as {name}" + (f": {error}" if error else "")
    )


_RESULT = "__execution_result__"  # where TFX's launcher records why an execution failed


def _recorded_error(execution) -> str:
    """The last line of the error TFX recorded on `execution`, with what to do about a
    node started before its inputs exist."""
    if _RESULT not in execution.custom_properties:
        return ""
    message = json.loads(execution.custom_properties[_RESULT].string_value).get("resultMessage", "")
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if "InsufficientInputError" in last:
        return (
            "its inputs are not in this run; run its upstream tasks first, with the same "
            f"--run-id ({last.split(': ', 1)[-1]})"
        )
    return last


def _run(ir, run_id: str):
    """Run `run_id` as ML Metadata recorded it (`pipeline.metadata.run.Run`)."""
    from pipeline.metadata.run import open_run

    connection = pipeline_ir.metadata_connection(ir)
    return open_run(
        pipeline_ir.pipeline_root(ir),
        run_id=run_id,
        pipeline_name=ir.pipeline_info.id,
        metadata_path=pipeline_ir.sqlite_path(connection),
        with_drift_reference=False,
    )


def prepared_ir(ir_path: Path, node_id: str, run_id: str, data_root: str | None, allow: str = ""):
    """The IR at `ir_path`, checked against the installed code, for run `run_id`, reading
    `data_root` (default: the compiled one), the gate accepting findings on `allow`
    (comma-separated features). IrError or DataError if it cannot run."""
    ir = pipeline_ir.read_ir(ir_path)
    pipeline_ir.node(ir, node_id)
    check_code(ir, ir_path)
    if allow and node_id == steps.DATA_GATE:
        _check_allowed(ir, allow)
        pipeline_ir.with_allowed_anomalies(ir, allowed_anomalies(allow))
    if data_root and data_root != pipeline_ir.data_root(ir):
        if node_id == steps.EXAMPLE_GEN:
            # The one task that reads the folder checks it, as a local run does.
            check_data_root(ir, data_root)
        pipeline_ir.with_data_root(ir, data_root)
    pipeline_ir.with_run_id(ir, run_id)
    return ir


def run_node_and_report(
    ir_path: Path,
    node_id: str,
    *,
    run_id: str,
    data_root: str | None = None,
    allow: str = "",
    console: Console,
) -> int:
    """Run one node and say what happened; the run's summary and report after its last
    node. An exit code: 0, 1 failed, 2 bad input, 3 the data gate blocked the run."""
    from models.dataset import DatasetError
    from pipeline.inputs import DataError
    from pipeline.metadata.summary import summarize

    try:
        ir = prepared_ir(ir_path, node_id, run_id, data_root, allow)
    except (pipeline_ir.IrError, DataError, DatasetError) as e:
        console.print(f"[bold red]Cannot run {node_id}:[/] {escape(str(e))}")
        return EXIT_BAD_INPUT
    try:
        outcome = launch(ir, node_id)
    except Exception as e:
        logging.getLogger(__name__).error("%s failed:\n%s", node_id, traceback.format_exc())
        if node_id == steps.DATA_GATE and report_blocked_gate(summarize(_run(ir, run_id)), console):
            console.print(
                "(Here: run-node --allow-anomalies FEATURES; in Airflow, trigger the DAG with "
                'the conf {"allow_anomalies": "FEATURES"}.)',
                markup=False,
            )
            return EXIT_BLOCKED
        reason = str(e) if isinstance(e, NodeFailed) else first_meaningful_error(e)
        console.print(f"  [red]✗[/] {node_id} failed: {escape(reason)}")
        console.print("Nothing new was pushed; the served model is unchanged.")
        return EXIT_FAILED
    console.print(f"  ✓ {outcome.node_id:<28} {outcome.status:<9} {outcome.seconds:7.1f} s")
    if node_id == next(reversed(pipeline_ir.task_graph(ir))):
        from pipeline.runners.terminal import print_summary

        run = _run(ir, run_id)
        # From the run's start: its tasks ran in processes of their own.
        seconds = (datetime.datetime.now(run.started.tzinfo) - run.started).total_seconds()
        print_summary(summarize(run), console=console, seconds=seconds)
        show_report(
            pipeline_ir.pipeline_root(ir),
            pipeline_name=ir.pipeline_info.id,
            console=console,
            run_id=run_id,
        )
    return EXIT_OK
