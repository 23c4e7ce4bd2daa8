"""The data gate's section: what decided, in words, without repeating the skew and drift
section's every measurement."""

from __future__ import annotations

import datetime

from pipeline.components.data_gate.decision import Finding, GateOutcome
from pipeline.metadata.run import Run
from reports import gate

STARTED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _measurement(feature, measure, value, threshold, check="skew"):
    return {
        "check": check,
        "split": "eval",
        "feature": feature,
        "measure": measure,
        "value": value,
        "threshold": threshold,
        "exceeded": value > threshold,
    }


MEASUREMENTS = (
    _measurement("fare", "JENSEN_SHANNON_DIVERGENCE", 0.31, 0.1),
    _measurement("trip_miles", "JENSEN_SHANNON_DIVERGENCE", 0.02, 0.1),
    _measurement("payment_type", "L_INFTY", 0.4, 0.1, check="drift"),
    _measurement("company", "L_INFTY", 0.01, 0.1, check="drift"),
)
FINDING = Finding(
    check="skew",
    split="eval",
    feature="fare",
    kind="COMPARATOR_JENSEN_SHANNON_DIVERGENCE_HIGH",
    description="fare's distribution moved",
    blocking=True,
)


def _page(tmp_path, outcome: GateOutcome):
    run = Run(tmp_path, "taxi", "run-1", STARTED, steps={}, outputs={}, inputs={}, gate=outcome)
    section = gate.report(run)
    return section, section._repr_html_()


def test_only_measurements_over_the_threshold_are_shown_in_words_with_a_link(tmp_path):
    outcome = GateOutcome(findings=(FINDING,), compared_with="", measurements=MEASUREMENTS)

    section, page = _page(tmp_path, outcome)

    over = section.tables["measurements over the threshold"]
    assert list(over["feature"]) == ["payment_type", "fare"]
    assert list(over["comparator"]) == ["L-infinity distance", "Jensen-Shannon divergence"]
    assert "exceeded" not in over
    assert "2 of 4 measurements over the threshold" in page
    assert '<a href="#drift">Skew and drift</a>' in page
    for raw in ("JENSEN_SHANNON_DIVERGENCE</td>", "L_INFTY", ">True<", ">False<", "trip_miles"):
        assert raw not in page, raw


def test_with_nothing_over_the_threshold_the_section_says_so_and_links(tmp_path):
    within = tuple(m for m in MEASUREMENTS if not m["exceeded"])
    outcome = GateOutcome(findings=(), compared_with="", measurements=within)

    section, page = _page(tmp_path, outcome)

    assert "measurements over the threshold" not in section.tables
    assert "No skew or drift measurement is over its threshold (2 judged)" in page
    assert '<a href="#drift">Skew and drift</a>' in page


def test_flags_in_tables_read_yes_or_no():
    from reports.section import Section

    table = gate.measurements_table(GateOutcome((), "", MEASUREMENTS))
    section = Section("Data gate", "gate")
    section.table("measurements", table)

    page = section._repr_html_()

    assert table["exceeded"].dtype == bool
    assert "<td>yes</td>" in page and "<td>no</td>" in page
    assert ">True<" not in page and ">False<" not in page
