"""How a feature's values read to a person: quantities, identifiers or timestamps.

A census tract or a community area is a code, not an amount: "17031010100",
not "17,031,010,100", and its mean means nothing. The dataset's time feature
holds seconds since 1970 and reads as a UTC date. The one place that decides
which feature is which, and how each is written.
"""

from __future__ import annotations

import datetime
import enum
import math
from collections.abc import Iterable

from reports.section import format_number

# Name parts of integer columns that hold codes rather than amounts.
_IDENTIFIER_PARTS = frozenset({"id", "ids", "tract", "area", "zip", "zipcode", "code", "key"})
_DAY = 24 * 3600
NOT_MEASURED = "—"  # no value to summarize: shown instead of a misleading 0


# TFDV's comparator enum names (DriftSkewInfo.Measurement.Type), as a person reads them.
_COMPARATORS = {
    "L_INFTY": "L-infinity distance",
    "JENSEN_SHANNON_DIVERGENCE": "Jensen-Shannon divergence",
    "NORMALIZED_ABSOLUTE_DIFFERENCE": "normalized absolute difference",
}


def comparator(name: str) -> str:
    """A skew or drift comparator's name in words ("Jensen-Shannon divergence")."""
    return _COMPARATORS.get(name, name.replace("_", " ").lower())


class Role(enum.Enum):
    QUANTITY = "quantity"
    IDENTIFIER = "identifier"
    TIMESTAMP = "timestamp"


def role(name: str, *, integer: bool, time_feature: str | None = None) -> Role:
    """What the values of feature `name` are; `integer`: its values are whole numbers."""
    if time_feature and name == time_feature:
        return Role.TIMESTAMP
    if integer and _IDENTIFIER_PARTS & set(name.lower().split("_")):
        return Role.IDENTIFIER
    return Role.QUANTITY


def _utc(seconds: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)


def value(number: float | None, kind: Role) -> str:
    """One value of a feature (a minimum, a median, a bucket edge)."""
    if number is None or (isinstance(number, float) and math.isnan(number)):
        return ""
    if kind is Role.IDENTIFIER:
        return str(round(number))
    if kind is Role.TIMESTAMP:
        moment = _utc(number)
        time = "" if moment.time() == datetime.time() else moment.strftime(" %H:%M")
        return f"{moment:%Y-%m-%d}{time} UTC"
    return format_number(number)


def spread(number: float | None, kind: Role) -> str:
    """A standard deviation: in days for timestamps, none for codes."""
    if number is None or (isinstance(number, float) and math.isnan(number)):
        return ""
    if kind is Role.IDENTIFIER:
        return ""
    if kind is Role.TIMESTAMP:
        return f"{format_number(float(f'{number / _DAY:.3g}'))} days"
    return format_number(number)


def summary(statistic: str, number: float | None, kind: Role) -> str:
    """A summary statistic ("mean", "std", "min", "median", "max") of a feature's values:
    no mean or spread of codes, a spread of timestamps in days."""
    if statistic == "std":
        return spread(number, kind)
    if statistic == "mean" and kind is Role.IDENTIFIER:
        return ""
    return value(number, kind)


def edge_labels(edges: Iterable[float], kind: Role) -> list[str]:
    """Bucket boundaries for a chart axis: dates without the time of day, short numbers."""
    if kind is Role.TIMESTAMP:
        return [f"{_utc(edge):%Y-%m-%d}" for edge in edges]
    if kind is Role.IDENTIFIER:
        return [str(round(edge)) for edge in edges]
    return [_short_number(edge) for edge in edges]


def _short_number(number: float) -> str:
    # 3 significant digits, thousands grouped, never an exponent on ordinary amounts.
    if number == 0 or not math.isfinite(number):
        return format_number(number)
    rounded = float(f"{number:.3g}")
    return format_number(rounded)


def natural_order(values: Iterable[str]) -> list[str] | None:
    """`values` by number when every one is a whole number (hours 0-23, months), else None."""
    values = list(values)
    try:
        numbers = [int(v) for v in values]
    except (TypeError, ValueError):
        return None
    return [v for _, v in sorted(zip(numbers, values, strict=True))]


def value_order(values: Iterable[str]) -> list[str]:
    """`values` in the order a person looks them up: by number when every one is a whole
    number (hours 0-23), else alphabetically (case aside), the same from run to run."""
    values = list(values)
    return natural_order(values) or sorted(values, key=lambda v: (v.casefold(), v))


def with_interval(value: float, lower: float, upper: float) -> str:
    """A metric and its confidence interval: "0.949 (0.91–0.97)"; shares and scores in
    0..1 to 3 decimals (bounds to 2), other numbers to 3-4 significant digits."""
    if all(0 <= v <= 1 for v in (value, lower, upper)):
        return f"{value:.3f} ({lower:.2f}–{upper:.2f})"
    return f"{format_number(value)} ({_short_number(lower)}–{_short_number(upper)})"
