"""Whether the canary version may become the stable one: the monitor's results, judged.

Three conditions, each a reason of its own when it fails:

1. volume: the canary answered at least `MonitorConfig.promotion_min_requests`
   logged requests in the period;
2. a clean monitor result: its traffic was traced to its training run, skew
   was measured and found nothing, no schema anomalies, and its served
   predictions were compared with the eval split's and stayed close;
3. agreement with the stable version: on every output both served, the
   canary's prediction distribution is within the monitor's Jensen-Shannon
   threshold of the stable version's over the same period (the comparison of
   pipeline.monitoring.predictions, on shared buckets).

Pure: no files, no servers; `decide` only reads the two `VersionCheck`s.
"""

from __future__ import annotations

from typing import NamedTuple

from pipeline.config import MonitorConfig
from pipeline.monitoring import predictions as P
from pipeline.monitoring.check import VersionCheck


class Decision(NamedTuple):
    ok: bool
    reasons: list[str]  # every condition that failed, each naming what is off


def _volume(canary: VersionCheck, minimum: int) -> list[str]:
    if canary.requests >= minimum:
        return []
    return [
        f"too little traffic: the canary (version {canary.version}) answered {canary.requests} "
        f"logged requests, fewer than the {minimum} required"
    ]


def _monitor_clean(canary: VersionCheck) -> list[str]:
    if canary.unchecked:
        return [f"the canary's traffic was not checked: {canary.unchecked}"]
    reasons = [f"the canary's monitor result: {finding}" for finding in canary.findings]
    if canary.skew is None:
        reasons.append("the canary's skew was not measured (too few rows or none)")
    if not canary.predictions:
        reasons.append("the canary's predictions were not compared with the eval split's")
    return reasons


def stable_comparisons(
    canary: VersionCheck, stable: VersionCheck, config: MonitorConfig
) -> list[P.PredictionComparison]:
    """The canary's served predictions against the stable version's, per output both served."""
    shared = sorted(canary.served_outputs.keys() & stable.served_outputs.keys())
    return [
        P.compare(
            name, canary.served_outputs[name], stable.served_outputs[name],
            buckets=config.prediction_buckets, threshold=config.prediction_js_distance,
        )
        for name in shared
    ]  # fmt: skip


def _agreement(
    canary: VersionCheck, stable: VersionCheck | None, config: MonitorConfig
) -> list[str]:
    if stable is None or not stable.requests:
        return ["no logged traffic of the stable version in the period to compare the canary with"]
    comparisons = stable_comparisons(canary, stable, config)
    if not comparisons:
        return [
            "the canary's predictions were not compared with the stable version's: "
            "no output both answered in logged :predict responses"
        ]
    return [
        f"the canary's {c.output} differ from the stable version's (version {stable.version}): "
        f"Jensen-Shannon distance {c.distance:.3f} over the threshold {c.threshold}"
        for c in comparisons
        if c.over
    ]


def decide(
    canary: VersionCheck | None,
    stable: VersionCheck | None,
    config: MonitorConfig = MonitorConfig(),
    *,
    min_requests: int | None = None,
) -> Decision:
    """Promote the canary only when every condition holds; otherwise every reason."""
    minimum = config.promotion_min_requests if min_requests is None else min_requests
    if canary is None:
        return Decision(False, [f"no logged traffic of the canary: 0 requests, {minimum} required"])
    reasons = _volume(canary, minimum) + _monitor_clean(canary) + _agreement(canary, stable, config)
    return Decision(not reasons, reasons)
