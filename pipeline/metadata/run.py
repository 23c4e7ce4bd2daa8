"""A pipeline run's steps and artifacts, found through ML Metadata.

`open_run()` opens the newest run under the default pipeline root; a pipeline
root, a pipeline name or a run id narrow it down. A run that failed or
stopped early is opened all the same: what it did not produce is `None`, and
`Run.why_missing` says why in words a report can show.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
from pathlib import Path

import ml_metadata as mlmd

from pipeline import defaults, steps
from pipeline.components.data_gate.artifacts import load_outcome
from pipeline.components.data_gate.decision import GateOutcome
from pipeline.components.data_gate.spec import CONFIG_KEY as GATE_CONFIG_KEY
from pipeline.components.data_gate.spec import RESULT_KEY as GATE_RESULT_KEY
from pipeline.components.data_gate.spec import config_from_json
from pipeline.config import GateConfig
from pipeline.metadata import store as S


class NoRunError(LookupError):
    """There is no pipeline run to report on."""


@dataclasses.dataclass(frozen=True)
class Step:
    """One component's execution in a run."""

    node_id: str
    state: str  # executed / cached / failed / running / canceled
    started: datetime.datetime
    seconds: float
    # The first line of the error TFX recorded on a failed execution; "" when none.
    error: str = ""


@dataclasses.dataclass
class Run:
    """One pipeline run: its steps and the artifacts they read and wrote."""

    pipeline_root: Path
    pipeline_name: str
    run_id: str
    started: datetime.datetime
    steps: dict[str, Step]
    outputs: dict[tuple[str, str], object]  # (node id, output key) -> TFX artifact
    inputs: dict[tuple[str, str], object]  # (node id, input key) -> TFX artifact
    # The latest earlier run whose StatisticsGen saw other data, for drift.
    previous_run_id: str | None = None
    previous_statistics: object | None = None
    # The data gate's decision, passed or blocked; None when the gate did not decide.
    gate: GateOutcome | None = None
    # What the gate compared and with which thresholds; None when it did not run.
    gate_config: GateConfig | None = None

    def output(self, node_id: str, key: str):
        """The artifact `node_id` wrote under `key` in this run, or None."""
        return self.outputs.get((node_id, key))

    def why_missing(self, node_id: str, key: str | None = None) -> str:
        """Why this run has no output of `node_id`, in one sentence."""
        step = self.steps.get(node_id)
        if step is None:
            reason = f"{node_id} did not run"
        elif step.state == "failed":
            reason = f"{node_id} failed"
        elif step.state in ("running", "canceled"):
            reason = f"{node_id} was {step.state} when the run ended"
        else:
            reason = f"{node_id} recorded no {key or 'output'}"
        return f"Not produced by this run ({reason})."

    def __repr__(self) -> str:
        root = str(self.pipeline_root)
        return f"Run({self.run_id!r}, pipeline={self.pipeline_name!r}, root={root!r})"


def _time(milliseconds: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.timezone.utc)


def _steps(store: mlmd.MetadataStore, executions) -> dict[str, Step]:
    found = {}
    for e in sorted(executions, key=lambda e: e.create_time_since_epoch):
        node = S.node_id(store, e)
        found[node] = Step(
            node_id=node,
            state=S.state_word(e),
            started=_time(e.create_time_since_epoch),
            seconds=(e.last_update_time_since_epoch - e.create_time_since_epoch) / 1000,
            error=recorded_error(e) if S.state_word(e) == "failed" else "",
        )
    return found


# An exception's line in a recorded message, e.g. "ValueError: ..." or "RuntimeError: ...".
_ERROR_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Failure)\b.*:")
_LONGEST_ERROR = 300


def recorded_error(execution) -> str:
    """The first error line TFX's launcher recorded on a failed `execution`, or "".

    The launcher stores the message of the exception, sometimes with a traceback
    around it; the line naming the exception is the one a person acts on.
    """
    recorded = execution.custom_properties.get(S.EXECUTION_RESULT_PROPERTY)
    if recorded is None:
        return ""
    message = json.loads(recorded.string_value).get("resultMessage", "")
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    line = next((line for line in lines if _ERROR_LINE.match(line)), lines[0] if lines else "")
    return line if len(line) <= _LONGEST_ERROR else line[:_LONGEST_ERROR] + "..."


def _statistics_of(store: mlmd.MetadataStore, run):
    executions = store.get_executions_by_context(run.id)
    outputs = S.artifacts_by_key(store, executions, S.OUTPUT_EVENTS)
    return outputs.get((steps.STATISTICS_GEN, "statistics"))


def _previous_statistics(store: mlmd.MetadataStore, runs: list, current) -> tuple[str, object]:
    """(run id, statistics) of the newest earlier run with other statistics than `current`.

    A cached rerun reuses the same statistics artifact: comparing it with
    itself would always show no drift, so such runs are skipped.
    """
    for run in runs:
        statistics = _statistics_of(store, run)
        if statistics is not None and (current is None or statistics.id != current.id):
            return run.name, statistics
    return None, None


def gate_outcome(store: mlmd.MetadataStore, executions, outputs) -> GateOutcome | None:
    """The data gate's outcome: its artifact when it passed, its failure record when it blocked."""
    result = outputs.get((steps.DATA_GATE, GATE_RESULT_KEY))
    if result is not None:
        return load_outcome(result)
    for execution in executions:
        recorded = execution.custom_properties.get(S.EXECUTION_RESULT_PROPERTY)
        if recorded is None or S.node_id(store, execution) != steps.DATA_GATE:
            continue
        message = json.loads(recorded.string_value).get("resultMessage", "")
        if message.startswith("{"):
            return GateOutcome.from_json(message)
    return None


def _gate_config(store: mlmd.MetadataStore, executions) -> GateConfig | None:
    for execution in executions:
        if S.node_id(store, execution) == steps.DATA_GATE:
            text = S.custom(execution, GATE_CONFIG_KEY)
            return config_from_json(text) if text else None
    return None


def open_run(
    pipeline_root: str | Path | None = None,
    *,
    run_id: str | None = None,
    pipeline_name: str | None = None,
    metadata_path: str | Path | None = None,
    with_drift_reference: bool = True,
) -> Run:
    """The run `run_id` (default: the newest run) recorded under `pipeline_root`.

    `pipeline_root` defaults to the local runner's; `pipeline_name` to whichever
    pipeline ran last there; `metadata_path` to the store a local run keeps in
    its root. `with_drift_reference=False` skips looking for the earlier run
    drift is shown against. Raises `NoRunError` when there is no such run.
    """
    root = Path(pipeline_root or defaults.PIPELINE_ROOT).resolve()
    path = Path(metadata_path) if metadata_path else defaults.metadata_path(root)
    if not path.is_file():
        raise NoRunError(f"No pipeline run under {root}: {path} does not exist.")
    store = S.connect(path)
    runs = S.runs(store, pipeline_name)
    if run_id is not None:
        names = [r.name for r in runs]
        runs = runs[names.index(run_id) :] if run_id in names else []
    if not runs:
        which = f"run {run_id!r}" if run_id else "pipeline run"
        of = f" of pipeline {pipeline_name!r}" if pipeline_name else ""
        raise NoRunError(f"No {which}{of} in {path}.")
    run, earlier = runs[0], runs[1:]
    name = S.pipeline_of(store, run)
    executions = store.get_executions_by_context(run.id)
    outputs = S.artifacts_by_key(store, executions, S.OUTPUT_EVENTS)
    previous_id, previous = (
        _previous_statistics(
            store,
            [r for r in earlier if S.pipeline_of(store, r) == name],
            outputs.get((steps.STATISTICS_GEN, "statistics")),
        )
        if with_drift_reference
        else (None, None)
    )
    return Run(
        pipeline_root=root,
        pipeline_name=name,
        run_id=run.name,
        started=_time(run.create_time_since_epoch),
        steps=_steps(store, executions),
        outputs=outputs,
        inputs=S.artifacts_by_key(store, executions, S.INPUT_EVENTS),
        previous_run_id=previous_id,
        previous_statistics=previous,
        gate=gate_outcome(store, executions, outputs),
        gate_config=_gate_config(store, executions),
    )
