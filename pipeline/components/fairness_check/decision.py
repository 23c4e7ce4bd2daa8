"""Fairness: error rates per slice, the gaps between slices, and when a gap blocks.

The rates come from the Evaluator (`metrics.py` says which). The gap of a
rate is its largest value minus its smallest over the slices of one feature
that hold at least `min_slice_examples` eval examples and examples of the
rate's denominator class. A gap over its limit is a breach;
`FairnessCheck` (component.py) reports breaches and, when configured as
blocking, withholds the blessing.
"""

from __future__ import annotations

import dataclasses
import json
import math

from pipeline.components.fairness_check.metrics import ERROR, EXAMPLE_COUNT, Measure
from pipeline.config import FairnessConfig


def limit(config: FairnessConfig, rate: str) -> float | None:
    """The largest allowed gap of `rate`; None: reported, never over a limit."""
    return {
        "false_positive_rate": config.max_false_positive_rate_gap,
        "false_negative_rate": config.max_false_negative_rate_gap,
        ERROR: config.max_error_gap,
    }[rate]


@dataclasses.dataclass(frozen=True)
class SliceRate:
    """One rate of one slice at one threshold, and whether it counts toward the gap."""

    feature: str
    value: str
    rate: str
    threshold: float | None  # None: a rate without threshold (regression's error)
    measured: float | None  # None: the slice has no example of the denominator class
    examples: int
    counted: bool
    class_name: str = ""  # multi-class: the class the rate is of, against the rest


@dataclasses.dataclass(frozen=True)
class Gap:
    """Largest minus smallest rate over the counted slices of one feature."""

    feature: str
    rate: str
    threshold: float | None
    gap: float | None  # None: fewer than two slices counted
    limit: float | None  # None: no limit, the gap is reported only
    highest: str  # slice value with the largest rate
    lowest: str
    slices: int  # slices counted
    class_name: str = ""

    @property
    def breached(self) -> bool:
        return self.gap is not None and self.limit is not None and self.gap > self.limit

    def as_dict(self) -> dict:
        """The fields and `breached`, for JSON and tables."""
        return {**dataclasses.asdict(self), "breached": self.breached}


@dataclasses.dataclass(frozen=True)
class FairnessOutcome:
    """Every slice rate, every gap, and the decision."""

    rates: tuple[SliceRate, ...]
    gaps: tuple[Gap, ...]
    blocking: bool
    min_slice_examples: int
    # Feature -> why its gaps may reflect the data rather than the model (the dataset's).
    caveats: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def breaches(self) -> tuple[Gap, ...]:
        return tuple(g for g in self.gaps if g.breached)

    @property
    def blocked(self) -> bool:
        return self.blocking and bool(self.breaches)

    def caveat_lines(self) -> list[str]:
        """The caveats of the compared features, "feature: why", in the gaps' order."""
        compared = dict.fromkeys(g.feature for g in self.gaps)
        return [f"{f}: {self.caveats[f]}" for f in compared if f in self.caveats]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FairnessOutcome:
        data = json.loads(text)
        return cls(
            rates=tuple(SliceRate(**r) for r in data["rates"]),
            gaps=tuple(Gap(**g) for g in data["gaps"]),
            blocking=data["blocking"],
            min_slice_examples=data["min_slice_examples"],
            # Results written before caveats existed have none.
            caveats=data.get("caveats", {}),
        )


def slice_rates(metrics: dict, config: FairnessConfig, measures: list[Measure]) -> list[SliceRate]:
    """Every measure of every slice, marked counted or not."""
    rates = []
    for (feature, value), values in sorted(metrics.items()):
        examples = int(values.get(EXAMPLE_COUNT, 0))
        for measure in measures:
            measured = values.get(measure.key)
            if measured is not None and math.isnan(measured):
                measured = None
            rates.append(
                SliceRate(
                    feature=feature,
                    value=value,
                    rate=measure.rate,
                    threshold=measure.threshold,
                    measured=measured,
                    examples=examples,
                    counted=measured is not None and examples >= config.min_slice_examples,
                    class_name=measure.class_name,
                )
            )
    return rates


def gaps(rates: list[SliceRate], config: FairnessConfig, measures: list[Measure]) -> list[Gap]:
    """The gap of each measure, per fairness feature."""
    found = []
    for feature in config.slice_features:
        for measure in measures:
            key = (feature, measure.rate, measure.threshold, measure.class_name)
            counted = [
                r
                for r in rates
                if r.counted and (r.feature, r.rate, r.threshold, r.class_name) == key
            ]
            compared = len(counted) >= 2
            high = max(counted, key=lambda r: r.measured) if compared else None
            low = min(counted, key=lambda r: r.measured) if compared else None
            found.append(
                Gap(
                    feature=feature,
                    rate=measure.rate,
                    threshold=measure.threshold,
                    gap=high.measured - low.measured if compared else None,
                    limit=limit(config, measure.rate),
                    highest=high.value if compared else "",
                    lowest=low.value if compared else "",
                    slices=len(counted),
                    class_name=measure.class_name,
                )
            )
    return found


def describe(gap: Gap) -> str:
    """One line a person reads: which rate, how far apart, between which slices."""
    words = gap.rate.replace("_", " ")
    if gap.class_name:
        words += f" of class {gap.class_name!r}"
    at = f" at {gap.threshold:g}" if gap.threshold is not None else ""
    if gap.gap is None:
        return f"{gap.feature}: {words}{at} not compared ({gap.slices} slice(s) large enough)"
    if gap.limit is None:
        verdict = "reported (no limit set)"
    else:
        verdict = f"{'above' if gap.breached else 'within'} the limit {gap.limit:g}"
    return (
        f"{gap.feature}: {words} gap{at} is {gap.gap:.3f} "
        f"({gap.highest!r} highest, {gap.lowest!r} lowest), {verdict}"
    )
