"""Fairness: error rates per slice, the gaps between slices, and when a gap blocks.

The Evaluator computes, for every slice of each fairness feature and every
decision threshold, the false positive rate (TFMA's `FallOut`) and the false
negative rate (`MissRate`). These are the rates TFMA's `FairnessIndicators`
metric reports; that metric ships in the `fairness-indicators` package, whose
releases for TFMA 0.47 require tensorflow-hub >= 0.16.1, which tfx 1.16
excludes, so the same quantities come from TFMA's own metrics.

The gap of a rate is its largest value minus its smallest over the slices of
one feature that hold at least `min_slice_examples` eval examples and
examples of the rate's denominator class. A gap over its limit is a breach;
`FairnessCheck` (pipeline/fairness_component.py) reports breaches and, when
configured as blocking, withholds the blessing.
"""

from __future__ import annotations

import dataclasses
import json
import math

from pipeline.config import FairnessConfig
from pipeline.evaluation import metric_number

# Rate name -> TFMA metric class computing it.
RATES = {"false_positive_rate": "FallOut", "false_negative_rate": "MissRate"}
EXAMPLE_COUNT = "example_count"
BASELINE_MODEL = "baseline"


def metric_name(rate: str, threshold: float) -> str:
    """The TFMA metric key of `rate` at `threshold`, e.g. `false_positive_rate@0.5`."""
    return f"{rate}@{threshold:g}"


def limit(config: FairnessConfig, rate: str) -> float:
    return {
        "false_positive_rate": config.max_false_positive_rate_gap,
        "false_negative_rate": config.max_false_negative_rate_gap,
    }[rate]


def with_fairness(eval_config, config: FairnessConfig):
    """A copy of `eval_config` that also computes the fairness rates per fairness slice."""
    import tensorflow_model_analysis as tfma

    extended = tfma.EvalConfig()
    extended.CopyFrom(eval_config)
    metrics = [
        tfma.MetricConfig(
            class_name=class_name,
            config=json.dumps({"thresholds": [t], "name": metric_name(rate, t)}),
        )
        for rate, class_name in RATES.items()
        for t in config.thresholds
    ]
    configured = {m.class_name for spec in extended.metrics_specs for m in spec.metrics}
    # Slice sizes decide which slices count; the evaluation may already count them.
    if "ExampleCount" not in configured:
        metrics.append(tfma.MetricConfig(class_name="ExampleCount"))
    extended.metrics_specs.append(tfma.MetricsSpec(metrics=metrics))
    sliced = {tuple(spec.feature_keys) for spec in extended.slicing_specs}
    for feature in config.slice_features:
        if (feature,) not in sliced:
            extended.slicing_specs.append(tfma.SlicingSpec(feature_keys=[feature]))
    return extended


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


def _decoded(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def load_slice_metrics(evaluation_uri: str, features: tuple[str, ...]) -> dict:
    """(feature, slice value) -> {metric name: value} of the candidate, for one-feature slices."""
    import tensorflow_model_analysis as tfma

    found: dict[tuple[str, str], dict[str, float]] = {}
    for per_slice in tfma.load_metrics(evaluation_uri):
        key = tfma.slicer.deserialize_slice_key(per_slice.slice_key)
        if len(key) != 1 or key[0][0] not in features:
            continue
        values = found.setdefault((key[0][0], _decoded(key[0][1])), {})
        for entry in per_slice.metric_keys_and_values:
            if entry.key.model_name == BASELINE_MODEL or entry.key.is_diff:
                continue
            number = metric_number(entry.value)
            if number is not None:
                values[entry.key.name] = number
    return found


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


def evaluate(evaluation_uri: str, config: FairnessConfig) -> FairnessOutcome:
    """The fairness outcome of the evaluation at `evaluation_uri`."""
    metrics = load_slice_metrics(evaluation_uri, config.slice_features)
    missing = [f for f in config.slice_features if not any(k[0] == f for k in metrics)]
    if missing:
        raise ValueError(
            f"the evaluation at {evaluation_uri} has no slices of {missing}: was it computed "
            "with pipeline.fairness.with_fairness?"
        )
    rates = slice_rates(metrics, config)
    return FairnessOutcome(
        rates=tuple(rates),
        gaps=tuple(gaps(rates, config)),
        blocking=config.blocking,
        min_slice_examples=config.min_slice_examples,
    )


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


def config_to_json(config: FairnessConfig) -> str:
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def config_from_json(text: str) -> FairnessConfig:
    data = json.loads(text)
    data["extra_slice_features"] = tuple(data["extra_slice_features"])
    data["thresholds"] = tuple(data["thresholds"])
    return FairnessConfig(**data)
