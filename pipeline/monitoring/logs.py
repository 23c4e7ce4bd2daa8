"""The request logs `python -m serving` writes, read back per model version.

    <logs>/<model>/<version>/requests-<UTC time>-<n>.tfrecord

Only finished files count (`.inprogress` ones are still being written). A file
that cannot be read to its end (truncated, corrupt, not PredictionLog records)
is skipped whole and named, so one bad file never stops the monitor and never
contributes half its records.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from pathlib import Path
from urllib.parse import quote

# serving/log_files.py writes these; the monitor reads what the server wrote.
LOG_FILE_PATTERN = "*.tfrecord"

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclasses.dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


@dataclasses.dataclass
class Logs:
    """The records of one model, by the version that answered, and what was left out."""

    records: dict[str, list] = dataclasses.field(default_factory=dict)  # version -> records
    files: int = 0
    skipped: list[SkippedFile] = dataclasses.field(default_factory=list)
    older: int = 0  # records before --since
    other_models: int = 0  # records another model answered (a copied folder)

    @property
    def total(self) -> int:
        return sum(len(r) for r in self.records.values())


def model_folder(logs_dir: str | Path, model: str) -> Path:
    """Where the server writes `model`'s logs (its name quoted, as serving/log_files.py does)."""
    return Path(logs_dir) / quote(model, safe="")


def parse_since(text: str, now: datetime.datetime | None = None) -> float:
    """Seconds since 1970 of `--since`: an ISO 8601 time (UTC unless it says otherwise) or a
    duration back from now (30m, 2h, 1d, 1w). ValueError for anything else."""
    match = _DURATION.match(text)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if match:
        return now.timestamp() - float(match[1]) * _SECONDS[match[2]]
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {text!r} is neither an ISO 8601 time (2026-01-31T12:00) nor a duration "
            "(30m, 2h, 1d, 1w)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _read_file(path: Path) -> list:
    """Every PredictionLog in `path`; raises on a truncated or corrupt file."""
    import tensorflow as tf
    from tensorflow_serving.apis import prediction_log_pb2

    return [
        prediction_log_pb2.PredictionLog.FromString(raw.numpy())
        for raw in tf.data.TFRecordDataset(str(path))
    ]


def read_logs(logs_dir: str | Path, model: str, since: float | None = None) -> Logs:
    """Records of `model` under `logs_dir`, answered at or after `since` (seconds since 1970)."""
    from google.protobuf.message import DecodeError
    from tensorflow.errors import OpError

    logs = Logs()
    folder = model_folder(logs_dir, model)
    for path in sorted(folder.rglob(LOG_FILE_PATTERN)) if folder.is_dir() else []:
        logs.files += 1
        try:
            records = _read_file(path)
        except (OpError, DecodeError) as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            logs.skipped.append(SkippedFile(str(path), reason))
            continue
        for record in records:
            spec = record.log_metadata.model_spec
            if spec.name != model:
                logs.other_models += 1
            elif since is not None and record.log_metadata.timestamp_secs < since:
                logs.older += 1
            else:
                logs.records.setdefault(str(spec.version.value), []).append(record)
    return logs
