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

from pipeline.components.fairness_check.metrics import EXAMPLE_COUNT, RATES, metric_name
from pipeline.config import FairnessConfig


def limit(config: FairnessConfig, rate: str) -> float:
    return {
        "false_positive_rate": config.max_false_positive_rate_gap,
        "false_negative_rate": config.max_false_negative_rate_gap,
    }[rate]


@dataclasses.dataclass(frozen=True)
class SliceRate:
    """One rate of one slice at one threshold, and whether it counts toward the gap."""

    feature: str
    value: str
    rate: str
    threshold: float
    measured: float | None  # None: the slice has no example of the denominator class
    examples: int
    counted: bool


@dataclasses.dataclass(frozen=True)
class Gap:
    """Largest minus smallest rate over the counted slices of one feature."""

    feature: str
    rate: str
    threshold: float
    gap: float | None  # None: fewer than two slices counted
    limit: float
    highest: str  # slice value with the largest rate
    lowest: str
    slices: int  # slices counted

    @property
    def breached(self) -> bool:
        return self.gap is not None and self.gap > self.limit

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

    @property
    def breaches(self) -> tuple[Gap, ...]:
        return tuple(g for g in self.gaps if g.breached)

    @property
    def blocked(self) -> bool:
        return self.blocking and bool(self.breaches)

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
        )


def slice_rates(metrics: dict, config: FairnessConfig) -> list[SliceRate]:
    """Every fairness rate of every slice, marked counted or not."""
    rates = []
    for (feature, value), values in sorted(metrics.items()):
        examples = int(values.get(EXAMPLE_COUNT, 0))
        for rate in RATES:
            for threshold in config.thresholds:
                measured = values.get(metric_name(rate, threshold))
                if measured is not None and math.isnan(measured):
                    measured = None
                rates.append(
                    SliceRate(
                        feature=feature,
                        value=value,
                        rate=rate,
                        threshold=threshold,
                        measured=measured,
                        examples=examples,
                        counted=measured is not None and examples >= config.min_slice_examples,
                    )
                )
    return rates


def gaps(rates: list[SliceRate], config: FairnessConfig) -> list[Gap]:
    """The gap of each rate, per fairness feature and threshold."""
    found = []
    for feature in config.slice_features:
        for rate in RATES:
            for threshold in config.thresholds:
                counted = [
                    r
                    for r in rates
                    if r.counted and (r.feature, r.rate, r.threshold) == (feature, rate, threshold)
                ]
                compared = len(counted) >= 2
                high = max(counted, key=lambda r: r.measured) if compared else None
                low = min(counted, key=lambda r: r.measured) if compared else None
                found.append(
                    Gap(
                        feature=feature,
                        rate=rate,
                        threshold=threshold,
                        gap=high.measured - low.measured if compared else None,
                        limit=limit(config, rate),
                        highest=high.value if compared else "",
                        lowest=low.value if compared else "",
                        slices=len(counted),
                    )
                )
    return found


def describe(gap: Gap) -> str:
    """One line a person reads: which rate, how far apart, between which slices."""
    words = gap.rate.replace("_", " ")
    if gap.gap is None:
        return (
            f"{gap.feature}: {words} at {gap.threshold:g} not compared "
            f"({gap.slices} slice(s) large enough)"
        )
    verdict = "above" if gap.breached else "within"
    return (
        f"{gap.feature}: {words} gap at {gap.threshold:g} is {gap.gap:.3f} "
        f"({gap.highest!r} highest, {gap.lowest!r} lowest), {verdict} the limit {gap.limit:g}"
    )
