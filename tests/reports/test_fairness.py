"""The fairness section: the verdict, the gaps, and the dataset's caveats beside them."""

from __future__ import annotations

import datetime

from pipeline import steps
from pipeline.components.fairness_check.decision import FairnessOutcome, Gap
from pipeline.metadata.run import Run
from reports import fairness

STARTED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
CAVEAT = "Cash tips are not recorded: payment type gaps reflect the labelling."
GAP = Gap(
    feature="payment_type",
    rate="false_positive_rate",
    threshold=0.5,
    gap=1.0,
    limit=0.5,
    highest="Credit Card",
    lowest="Cash",
    slices=2,
)


def _section(monkeypatch, tmp_path, caveats: dict[str, str]):
    outcome = FairnessOutcome(
        rates=(), gaps=(GAP,), blocking=False, min_slice_examples=100, caveats=caveats
    )
    monkeypatch.setattr(fairness, "load_result", lambda artifact: outcome)
    outputs = {(steps.FAIRNESS_CHECK, "result"): object()}
    run = Run(tmp_path, "taxi", "run-1", STARTED, steps={}, outputs=outputs, inputs={})
    return fairness.report(run)._repr_html_()


def test_the_datasets_caveat_is_stated_beside_the_gaps(monkeypatch, tmp_path):
    page = _section(monkeypatch, tmp_path, {"payment_type": CAVEAT})

    caveat = page.index(f'<p class="caveat">payment_type: {CAVEAT}</p>')
    # After the breach it explains, before the gaps table.
    assert page.index("payment_type: false positive rate gap at 0.5 is 1.000") < caveat
    assert caveat < page.index("<table")


def test_without_a_caveat_nothing_is_added(monkeypatch, tmp_path):
    page = _section(monkeypatch, tmp_path, {})

    assert "caveat" not in page.replace(".run-report .caveat", "")
