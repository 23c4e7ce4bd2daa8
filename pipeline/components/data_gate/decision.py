"""The data gate's decision: which findings stop a run before Transform and Trainer.

ExampleValidator only records anomalies; nothing in stock TFX reads them, so
a pipeline would train and push on broken data. The gate turns the
anomalies against the curated schema, empty splits, train/eval skew and
drift from the last accepted data into findings, and blocks on every
finding a person has not explicitly accepted (`GateConfig.allow`).

Pure: protos in, findings out. The TFX component around it is `component.py`
beside this module.
"""

from __future__ import annotations

import dataclasses
import datetime
import json

import numpy as np
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2

from models.dataset import DatasetSpec
from pipeline.config import GateConfig

# TFDV reports a column the schema does not know as this anomaly type.
NEW_COLUMN = "SCHEMA_NEW_COLUMN"
ALLOW_ALL = "*"
# A timestamp later than the run's start (plus the margin): the gate's own kind.
FUTURE_TIME = "FUTURE_TIME"
# Values outside the schema's bounds (float_domain, int_domain) or in the future:
# impossible values, to be corrected in the data, never accepted as a change.
OUT_OF_BOUNDS = frozenset(
    {
        "FLOAT_TYPE_SMALL_FLOAT",
        "FLOAT_TYPE_BIG_FLOAT",
        "INT_TYPE_SMALL_INT",
        "INT_TYPE_BIG_INT",
        FUTURE_TIME,
    }
)
# The gate's label kinds. A label the model cannot learn from: no flag accepts
# it, only more data helps.
ONE_CLASS = "ONE_CLASS"
CONSTANT_LABEL = "CONSTANT_LABEL"
MISSING_CLASS = "MISSING_CLASS"
UNLEARNABLE = frozenset({ONE_CLASS, CONSTANT_LABEL})


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing the gate found, in words a person can act on."""

    check: str  # "schema", "bounds", "label", "empty split", "skew" or "drift"
    split: str
    feature: str  # "" for a finding about a whole split
    kind: str  # TFDV's anomaly type name, or the check's own
    description: str
    blocking: bool


@dataclasses.dataclass(frozen=True)
class GateOutcome:
    """All findings of one gate execution and what it decided."""

    findings: tuple[Finding, ...]
    compared_with: str  # the accepted statistics drift was measured against, or ""
    # Every skew and drift measurement, within its limit or not, for reports.
    measurements: tuple[dict, ...] = ()

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking)

    @property
    def passed(self) -> bool:
        return not self.blocking

    @property
    def out_of_bounds(self) -> tuple[str, ...]:
        """Features blocked for impossible values, which no flag should wave through."""
        return tuple(
            sorted({f.feature for f in self.blocking if OUT_OF_BOUNDS & set(f.kind.split(","))})
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "passed": self.passed,
                "compared_with": self.compared_with,
                "findings": [dataclasses.asdict(f) for f in self.findings],
                "measurements": list(self.measurements),
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> GateOutcome:
        data = json.loads(text)
        return cls(
            findings=tuple(Finding(**f) for f in data["findings"]),
            compared_with=data.get("compared_with", ""),
            measurements=tuple(data.get("measurements", ())),
        )


def describe(findings: tuple[Finding, ...] | list[Finding]) -> list[str]:
    """One line per feature and problem, naming every split it was found in.

    The first split's wording is kept: per split, TFDV only changes the
    percentages.
    """
    groups: dict[tuple[str, str, str], list[Finding]] = {}
    for f in findings:
        groups.setdefault((f.feature, f.check, f.kind), []).append(f)
    lines = []
    for (feature, check, _), group in groups.items():
        where = f"'{feature}'" if feature else "the data"
        splits = ", ".join(f.split for f in group)
        lines.append(f"{where} ({check}; {splits}): {group[0].description.strip()}")
    return lines


def remedies(outcome: GateOutcome) -> list[str]:
    """What a person can do about a blocked outcome: the words the terminal and the
    report both print."""
    lines = []
    impossible = outcome.out_of_bounds
    if impossible:
        lines.append(
            f"{', '.join(impossible)}: values no real example can have (outside the schema's "
            "bounds, or in the future). Correct or remove those rows; if a bound itself is "
            "wrong, change it in the dataset's curated schema (README.md, 'Bounds')."
        )
    unlearnable = {f.feature for f in outcome.blocking if f.kind in UNLEARNABLE}
    fix_the_data = set(impossible) | unlearnable
    features = sorted({f.feature for f in outcome.blocking if f.feature} - fix_the_data)
    if features or not fix_the_data:
        lines.append(
            "If the change is expected: review it, then run again with "
            f"--allow-anomalies {','.join(features) or '*'} "
            "(or update the schema: README.md, 'Updating the schema')."
        )
    return lines


def accepted(feature: str, config: GateConfig) -> bool:
    """Whether a person accepted findings on `feature` ("" is the whole data set)."""
    return ALLOW_ALL in config.allow or (bool(feature) and feature in config.allow)


def _anomaly_findings(
    check: str, split: str, anomalies: anomalies_pb2.Anomalies, config: GateConfig
) -> list[Finding]:
    findings = []
    for feature, info in sorted(anomalies.anomaly_info.items()):
        kinds = [anomalies_pb2.AnomalyInfo.Type.Name(r.type) for r in info.reason] or ["UNKNOWN"]
        new_column = NEW_COLUMN in kinds
        error = info.severity == anomalies_pb2.AnomalyInfo.ERROR
        blocks = error and not accepted(feature, config)
        if new_column and not config.block_new_columns:
            blocks = False
        description = info.description or info.short_description
        if new_column and not blocks:
            description += " It is not used for training; add it to the schema to use it."
        findings.append(
            Finding(
                check=check,
                split=split,
                feature=feature,
                kind=",".join(kinds),
                description=description,
                blocking=blocks,
            )
        )
    if anomalies.HasField("dataset_anomaly_info"):
        info = anomalies.dataset_anomaly_info
        findings.append(
            Finding(
                check=check,
                split=split,
                feature="",
                kind=",".join(anomalies_pb2.AnomalyInfo.Type.Name(r.type) for r in info.reason),
                description=info.description or info.short_description,
                blocking=not accepted("", config),
            )
        )
    return findings


def schema_findings(
    anomalies_by_split: dict[str, anomalies_pb2.Anomalies], config: GateConfig
) -> list[Finding]:
    """ExampleValidator's anomalies against the curated schema, per split."""
    findings = []
    for split, anomalies in sorted(anomalies_by_split.items()):
        findings += _anomaly_findings("schema", split, anomalies, config)
    return findings


def empty_split_findings(
    statistics_by_split: dict[str, statistics_pb2.DatasetFeatureStatisticsList],
    config: GateConfig,
) -> list[Finding]:
    """A split with no examples: nothing to train, stop early on, or evaluate."""
    findings = []
    for split, stats in sorted(statistics_by_split.items()):
        rows = sum(d.num_examples for d in stats.datasets)
        if rows == 0:
            findings.append(
                Finding(
                    check="empty split",
                    split=split,
                    feature="",
                    kind="EMPTY_SPLIT",
                    description="The split has no examples; the data is too small to split.",
                    blocking=not accepted("", config),
                )
            )
    return findings


def _max_value(stats: statistics_pb2.DatasetFeatureStatisticsList, name: str) -> float | None:
    for dataset in stats.datasets:
        for feature in dataset.features:
            if list(feature.path.step) == [name] and feature.HasField("num_stats"):
                return feature.num_stats.max
    return None


def _when(seconds: float) -> str:
    try:
        moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return f"{seconds:g} seconds after 1970"
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def future_time_findings(
    statistics_by_split: dict[str, statistics_pb2.DatasetFeatureStatisticsList],
    config: GateConfig,
    now: float,
) -> list[Finding]:
    """The dataset's timestamps later than `now` plus the margin: impossible values."""
    name = config.time_feature
    if not name:
        return []
    findings = []
    for split, stats in sorted(statistics_by_split.items()):
        latest = _max_value(stats, name)
        if latest is None or latest <= now + config.future_margin_seconds:
            continue
        findings.append(
            Finding(
                check="bounds",
                split=split,
                feature=name,
                kind=FUTURE_TIME,
                description=f"The latest value is {_when(latest)}, after this run started "
                f"({_when(now)}) plus {config.future_margin_seconds / 86400:g} days: timestamps "
                "must be seconds since 1970 (UTC), and data cannot come from the future.",
                blocking=not accepted(name, config),
            )
        )
    return findings


def label_findings(labels: np.ndarray, spec: DatasetSpec, split: str = "train") -> list[Finding]:
    """A single class (or a constant regression label) blocks; an absent class is noted."""
    if labels.size == 0:
        return []  # an empty split is its own finding
    name = spec.label.column or spec.label.hook or "label"
    if spec.task == "regression":
        if np.all(labels == labels[0]):
            return [
                Finding(
                    check="label",
                    split=split,
                    feature=name,
                    kind=CONSTANT_LABEL,
                    description=f"Every one of the {labels.size} training examples has the label "
                    f"value {labels[0]:g}: there is nothing to learn. Add examples with other "
                    "values.",
                    blocking=True,
                )
            ]
        return []
    names = spec.class_names()
    present = sorted({int(v) for v in np.unique(labels)})
    if len(present) < 2:
        only = names[present[0]] if present and present[0] < len(names) else str(present)
        return [
            Finding(
                check="label",
                split=split,
                feature=name,
                kind=ONE_CLASS,
                description=f"All {labels.size} training examples are of one class ('{only}'): "
                "a classifier needs examples of at least two. Add examples of the other "
                f"classes ({', '.join(repr(n) for n in names if n != only)}).",
                blocking=True,
            )
        ]
    absent = [n for i, n in enumerate(names) if i not in present]
    if absent:
        return [
            Finding(
                check="label",
                split=split,
                feature=name,
                kind=MISSING_CLASS,
                description=f"No training example is of class {', '.join(map(repr, absent))}: "
                "the model will never predict it.",
                blocking=False,
            )
        ]
    return []


def decide(
    findings: list[Finding], compared_with: str = "", measurements: list[dict] | None = None
) -> GateOutcome:
    """The outcome; blocking findings first so a message leads with them."""
    ordered = sorted(findings, key=lambda f: (not f.blocking, f.check, f.split, f.feature))
    return GateOutcome(
        findings=tuple(ordered), compared_with=compared_with, measurements=tuple(measurements or ())
    )
