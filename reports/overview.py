"""Which run this is, what each component did, and what was pushed."""

from __future__ import annotations

import pandas as pd

from pipeline import steps
from pipeline.metadata import store
from pipeline.metadata.run import Run
from reports.section import Section


def steps_table(run: Run) -> pd.DataFrame:
    """One row per component: state and duration; planned components that did not run too."""
    planned = steps.planned(set(run.steps))
    names = [*planned, *(n for n in run.steps if n not in planned)]
    rows = []
    for name in names:
        step = run.steps.get(name)
        rows.append(
            {
                "component": name,
                "state": step.state if step else "did not run",
                "started (UTC)": f"{step.started:%Y-%m-%d %H:%M:%S}" if step else "",
                "seconds": round(step.seconds, 1) if step else None,
            }
        )
    return pd.DataFrame(rows, columns=["component", "state", "started (UTC)", "seconds"])


def pushed(run: Run) -> str:
    """One sentence on what the Pusher did in this run."""
    artifact = run.output(steps.PUSHER, "pushed_model")
    if artifact is None:
        return run.why_missing(steps.PUSHER, "pushed_model").replace(
            "Not produced", "Nothing pushed"
        )
    if artifact.get_int_custom_property(store.PUSHED_PROPERTY) != 1:
        return "Nothing pushed: the model was not blessed."
    version = artifact.get_string_custom_property(store.PUSHED_VERSION_PROPERTY)
    destination = artifact.get_string_custom_property(store.PUSHED_DESTINATION_PROPERTY)
    return f"Pushed version {version} to {destination}."


def report(run: Run) -> Section:
    """The run's identity, its components' states and the push."""
    # Why a run was blocked or failed, and what to do, is the banner above
    # (reports.verdict); this section only lists what ran.
    section = Section(f"Run {run.run_id}", "run")
    section.note(
        f"Pipeline {run.pipeline_name!r} under {run.pipeline_root}, started "
        f"{run.started:%Y-%m-%d %H:%M:%S} UTC."
    )
    table = steps_table(run)
    section.table("steps", table)
    stopped = table[~table["state"].isin(["executed", "cached"])]
    if not stopped.empty:
        section.note(
            "This run did not complete every component: sections below say which parts "
            "it did not produce.",
            "bad",
        )
    section.note(pushed(run))
    return section
