"""A run's verdict in one place: what it produced, or why not and what to do.

`verdict(summary)` is read by the HTML report's banner (`reports.verdict`),
the notebook's first output (the same) and the terminal's summary
(`pipeline.runners.terminal`), so the three never disagree.
"""

from __future__ import annotations

import dataclasses

from pipeline import steps
from pipeline.components.data_gate.decision import describe, remedies
from pipeline.components.evaluator.eval_config import SUMMARY_METRICS
from pipeline.metadata.summary import RunSummary

PUSHED = "pushed"
BLESSED = "blessed"  # blessed, and the served model already is this one
NOT_BLESSED = "not blessed"
BLOCKED = "blocked"
FAILED = "failed"
UNFINISHED = "unfinished"  # nothing failed, but the run ended before a blessing
KINDS = (PUSHED, BLESSED, NOT_BLESSED, BLOCKED, FAILED, UNFINISHED)

# The word `Pushed` and the sentences below are what scripts and tests of the
# terminal output look for (README: 'Exit codes and messages').
NOTHING_TRAINED = "Nothing was trained or pushed; the served model is unchanged."
NOTHING_PUSHED = "Nothing new was pushed; the served model is unchanged."
GATE_STOPPED = f"{steps.DATA_GATE} stopped the run: the data is not fit to train on."


@dataclasses.dataclass(frozen=True)
class Verdict:
    """What a run came to, in words: `title`, then `facts` (label, text), the first of
    them explained by `reasons`, and the commands or steps in `remedies`."""

    kind: str  # one of KINDS
    title: str
    facts: tuple[tuple[str, str], ...]
    reasons: tuple[str, ...] = ()
    remedies: tuple[str, ...] = ()

    @property
    def good(self) -> bool:
        """Whether a blessed model is what serves now."""
        return self.kind in (PUSHED, BLESSED)


def _measured(value: float, required: str) -> str:
    # A change threshold's measurement is a difference: its sign is the point.
    return f"{value:+.4g}" if required.startswith("change") else f"{value:.4g}"


def key_metrics(summary: RunSummary) -> str:
    """The candidate's thresholded metrics next to their bars, else its summary metrics."""
    judged = [t for t in summary.thresholds if t["measured"] == t["measured"]]  # not NaN
    if judged:
        return "; ".join(
            f"{t['metric']} {_measured(t['measured'], t['required'])} "
            f"(required {t['required']}{', FAILED' if t['result'] == 'FAILED' else ''})"
            for t in judged
        )
    return ", ".join(
        f"{name} {summary.metrics[name]:.4g}" for name in SUMMARY_METRICS if name in summary.metrics
    )


def _push_fact(summary: RunSummary) -> tuple[str, str]:
    if summary.pushed_path and summary.executions.get(steps.PUSHER) == "cached":
        return (
            "Pushed",
            f"nothing new; version {summary.pushed_version} from an earlier run is at "
            f"{summary.pushed_path}",
        )
    if summary.pushed_path:
        return "Pushed", f"version {summary.pushed_version} -> {summary.pushed_path}"
    if summary.already_pushed_version:
        return (
            "Pushed",
            f"nothing new; this model already is version {summary.already_pushed_version}",
        )
    return "Pushed", "nothing new (the served model is unchanged)"


def _blocked(summary: RunSummary) -> Verdict:
    outcome = summary.gate
    return Verdict(
        kind=BLOCKED,
        title="Blocked by the data gate",
        facts=(("Stopped", GATE_STOPPED), ("Pushed", NOTHING_TRAINED)),
        reasons=tuple(describe(outcome.blocking)),
        remedies=tuple(remedies(outcome)),
    )


def _failed(summary: RunSummary, component: str) -> Verdict:
    error = summary.errors.get(component, "")
    said = f"{component} failed: {error}" if error else f"{component} failed (no error recorded)"
    return Verdict(
        kind=FAILED,
        title=f"Failed at {component}",
        facts=(("Failed", said), ("Pushed", NOTHING_PUSHED)),
        remedies=(
            "The run's log has the whole error; completed components are cached, so running "
            "again resumes at the failed one.",
        ),
    )


def _unfinished(summary: RunSummary) -> Verdict:
    stopped = [
        f"{name} was {state}"
        for name, state in summary.executions.items()
        if state in ("running", "canceled")
    ]
    last = next(reversed(summary.executions), None)
    said = "; ".join(stopped) or (
        f"the run ended after {last}; {steps.EVALUATOR} did not run" if last else "no component ran"
    )
    return Verdict(
        kind=UNFINISHED,
        title="Not evaluated",
        facts=(("Stopped", said), ("Pushed", NOTHING_PUSHED)),
    )


def verdict(summary: RunSummary) -> Verdict:
    """The verdict of the run `summary` describes: blocked or failed first, since
    then nothing after that point means anything, then blessing and push."""
    if summary.gate is not None and not summary.gate.passed:
        return _blocked(summary)
    failed = next((n for n, state in summary.executions.items() if state == "failed"), None)
    if failed is not None:
        return _failed(summary, failed)
    if summary.blessed is None:
        return _unfinished(summary)
    if not summary.blessed:
        return Verdict(
            kind=NOT_BLESSED,
            title="Not blessed",
            facts=(("Blessed", "no"), _push_fact(summary)),
            reasons=tuple(summary.failed_thresholds),
        )
    pushed_now = bool(summary.pushed_path) and summary.executions.get(steps.PUSHER) != "cached"
    served = bool(summary.pushed_path or summary.already_pushed_version)
    return Verdict(
        kind=PUSHED if pushed_now else BLESSED,
        title=(
            "Blessed and pushed"
            if pushed_now
            else "Blessed, already served"
            if served
            else "Blessed, not pushed"
        ),
        facts=(("Blessed", f"yes: {key_metrics(summary)}"), _push_fact(summary)),
    )
