"""The monitor's result as JSON (for schedulers and the notebook) and as one terminal summary."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
from pathlib import Path

from pipeline.monitoring.check import MonitorResult, VersionCheck

SUMMARY_FILE = "monitor.json"
PAGE_FILE = "index.html"


def _version(check: VersionCheck) -> dict:
    skew = [] if check.skew is None else check.skew.to_dict(orient="records")
    return {
        "version": check.version,
        "requests": check.requests,
        "rows": check.rows,
        "trained_by_run": check.run_id,
        "unchecked": check.unchecked,
        "notes": check.notes,
        "skew": [{**row, "over": row["result"] != "ok"} for row in skew],
        "skewed_features": check.skewed,
        "anomalies": check.anomalies,
        "predictions": [{**dataclasses.asdict(p), "over": p.over} for p in check.predictions],
        "findings": check.findings,
    }


def to_dict(result: MonitorResult, *, since: float | None, logs_dir: str) -> dict:
    logs = result.logs
    return {
        "model": result.model,
        "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "logs": logs_dir,
        "since": (
            datetime.datetime.fromtimestamp(since, datetime.timezone.utc).isoformat()
            if since is not None
            else None
        ),
        "exit_code": result.exit_code,
        "files": {
            "read": logs.files - len(logs.skipped),
            "skipped": [dataclasses.asdict(s) for s in logs.skipped],
        },
        "records": {
            "checked": logs.total,
            "before_since": logs.older,
            "other_models": logs.other_models,
        },
        "versions": [_version(v) for v in result.versions],
    }


def write_atomically(path: Path, text: str) -> None:
    """Written aside and renamed: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_summary(path: Path, summary: dict) -> None:
    write_atomically(path, json.dumps(summary, indent=1, sort_keys=True, default=float))


def lines(result: MonitorResult) -> list[str]:
    """The terminal summary: files, then one block per version."""
    logs = result.logs
    out = [
        f"Model {result.model}: {logs.total} logged requests from {logs.files} files"
        + (f" ({logs.older} older than --since left out)" if logs.older else "")
    ]
    for skipped in logs.skipped:
        out.append(f"  skipped {skipped.path}: {skipped.reason}")
    if logs.skipped:
        out.append(f"  {len(logs.skipped)} unreadable file(s) skipped")
    for check in result.versions:
        trained = f", trained by run {check.run_id}" if check.run_id else ""
        out.append(
            f"Version {check.version}: {check.requests} requests, {check.rows} rows{trained}"
        )
        if check.unchecked:
            out.append(f"  UNCHECKED: {check.unchecked}")
        out += [f"  note: {note}" for note in check.notes]
        for p in check.predictions:
            out.append(
                f"  predictions {p.output}: Jensen-Shannon distance {p.distance:.3f} to the eval "
                f"split's (threshold {p.threshold})"
            )
        out += [f"  FOUND: {finding}" for finding in check.findings]
        if not check.findings and not check.unchecked:
            out.append("  fine: no skew, no anomalies, predictions as on the eval split")
    return out
