"""The evaluation section's slices: callout first, judged slices, tiny ones folded away."""

from __future__ import annotations

import datetime
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import FairnessConfig
from pipeline.metadata.run import Run
from reports import evaluation

STARTED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

# slice, value, example_count, auc, mean_label
SLICES = [
    ("Overall", "", 3000, 0.96, 0.3),
    ("payment_type", "Cash", 1890, 0.95, 0.001),
    ("payment_type", "Credit Card", 1100, 0.69, 0.8),
    ("payment_type", "No Charge", 10, 0.0, 0.0),
    ("trip_start_hour", "17", 1500, 0.97, 0.3),
    ("trip_start_hour", "3", 1400, 0.95, 0.3),
    ("trip_start_hour", "10", 100, 0.80, 0.3),
]


def long_form(rows) -> pd.DataFrame:
    records = []
    for feature, value, count, auc, mean_label in rows:
        metrics = {"example_count": count, "auc": auc, "mean_label": mean_label}
        records += [
            {
                "slice": feature,
                "value of slice": value,
                "model": "candidate",
                "metric": name,
                "value": number,
            }
            for name, number in metrics.items()
        ]
    return pd.DataFrame(records)


@pytest.fixture
def section(monkeypatch, tmp_path):
    return _section_of(long_form(SLICES), (), monkeypatch, tmp_path)


def test_without_a_fairness_check_the_default_minimum_slice_size_applies(section):
    minimum = FairnessConfig().min_slice_examples
    assert (
        evaluation.min_slice_examples(
            Run(Path("."), "taxi", "r", STARTED, steps={}, outputs={}, inputs={})
        )
        == minimum
    )
    judged = section.tables["by payment_type"]
    assert list(judged["payment_type"]) == ["Cash", "Credit Card"]
    assert (judged["example_count"] >= minimum).all()


def test_tiny_slices_are_folded_away_with_undefined_metrics_as_na(section):
    small = section.tables["by payment_type, too small to judge"]
    assert list(small["payment_type"]) == ["No Charge"]
    assert small["auc"].isna().all()
    page = section._repr_html_()
    assert "<details><summary>1 slice(s) with fewer than 100 examples" in page
    assert "<td>n/a</td>" in page


def test_the_slice_much_worse_than_overall_is_called_out_before_the_tables(section):
    page = section._repr_html_()
    callout = page.index("payment_type = Credit Card: auc 0.690 against 0.960 overall")
    assert callout < page.index("By payment_type")
    assert "(1,100 examples, 880 positive)" in page
    # Hour 10 has just the minimum of examples and an AUC 0.16 below overall.
    assert "trip_start_hour = 10: auc 0.800" in page
    assert "Cash: auc" not in page


def test_hours_are_listed_in_natural_order(section):
    assert list(section.tables["by trip_start_hour"]["trip_start_hour"]) == ["3", "10", "17"]


def _section_of(metrics: pd.DataFrame, slicing: tuple[str, ...], monkeypatch, tmp_path):
    found = evaluation.Evaluation(
        metrics=metrics,
        thresholds=pd.DataFrame(columns=["metric", "slice", "required", "measured", "result"]),
        validation_ok=True,
        blessed=True,
        baseline_uri=None,
        slicing=slicing,
    )
    monkeypatch.setattr(evaluation, "load", lambda run: found)
    run = Run(tmp_path, "taxi", "run-1", STARTED, steps={}, outputs={}, inputs={})
    return evaluation.report(run, with_charts=False)


def test_slice_tables_follow_the_configured_features_and_do_not_move_between_runs(
    monkeypatch, tmp_path
):
    slicing = ("trip_start_hour", "payment_type")
    pages = []
    for seed in (0, 1, 2):
        # TFMA writes its slices in the order its workers finish: shuffled here.
        metrics = long_form(SLICES).sample(frac=1, random_state=seed).reset_index(drop=True)
        section = _section_of(metrics, slicing, monkeypatch, tmp_path)
        pages.append(section._repr_html_())
        assert [name for name in section.tables if name.startswith("by ")][:2] == [
            "by trip_start_hour",
            "by payment_type",
        ]
        assert list(section.tables["by payment_type"]["payment_type"]) == ["Cash", "Credit Card"]
    assert pages[0] == pages[1] == pages[2]
    assert pages[0].index("By trip_start_hour") < pages[0].index("By payment_type")


def _with_intervals_and_baseline(metrics: pd.DataFrame) -> pd.DataFrame:
    """`metrics` with a ±0.02 interval on each AUC, and a baseline model 0.01 behind."""
    metrics = metrics.assign(lower=float("nan"), upper=float("nan"))
    auc = metrics["metric"] == "auc"
    metrics.loc[auc, "lower"] = metrics.loc[auc, "value"] - 0.02
    metrics.loc[auc, "upper"] = metrics.loc[auc, "value"] + 0.02
    baseline = metrics.assign(model="baseline")
    baseline.loc[auc, "value"] -= 0.01
    return pd.concat([metrics, baseline], ignore_index=True)


def test_slices_show_intervals_and_the_baseline_models_value(monkeypatch, tmp_path):
    metrics = _with_intervals_and_baseline(long_form(SLICES))
    section = _section_of(metrics, ("payment_type",), monkeypatch, tmp_path)

    judged = section.tables["by payment_type"]
    assert list(judged.columns[:5]) == [
        "payment_type",
        "example_count",
        "positives",
        "auc",
        "baseline auc",
    ]
    assert judged["baseline auc"].tolist() == pytest.approx([0.94, 0.68])
    page = section._repr_html_()
    assert "<td>0.950 (0.93–0.97)</td>" in page and "<td>0.94</td>" in page
    assert "95% confidence interval" in page


def test_a_first_run_has_a_baseline_column_of_dashes(monkeypatch, tmp_path):
    metrics = long_form(SLICES).assign(lower=float("nan"), upper=float("nan"))
    section = _section_of(metrics, ("payment_type",), monkeypatch, tmp_path)

    assert section.tables["by payment_type"]["baseline auc"].isna().all()
    assert "<td>–</td>" in section._repr_html_()


def _plots():
    from pipeline.components.evaluator import plots

    histogram = pd.DataFrame(
        {
            "lower": [0.0, 0.5],
            "upper": [0.5, 1.0],
            "examples": [60.0, 40.0],
            "mean_prediction": [0.2, 0.8],
            "share_positive": [0.1, 0.85],
        }
    )
    return plots.OverallPlots(curve=plots.curve(histogram), calibration=plots.coarser(histogram))


def _draw(chart, *args):
    return chart(*args)


def test_a_binary_evaluation_draws_roc_precision_recall_and_calibration_with_axis_labels():
    svgs = evaluation.curve_charts({"candidate": _plots(), "baseline": _plots()}, _draw)

    assert len(svgs) == 3
    for svg, words in zip(
        svgs,
        [
            ("ROC curve", "false positive rate", "true positive rate (recall)", "chance"),
            ("Precision-recall curve", "recall", "precision", "share of positives"),
            ("Calibration", "mean predicted probability", "share of positives", "perfectly"),
        ],
        strict=True,
    ):
        assert svg.startswith("<?xml") and "<svg" in svg
        for word in (*words, "this model", "baseline"):
            assert word in svg, word


def test_without_plots_no_curves_are_drawn_and_the_section_still_renders(monkeypatch, tmp_path):
    # Multi-class and regression evaluations have no plots.
    assert evaluation.curve_charts({}, _draw) == []
    page = _section_of(long_form(SLICES), (), monkeypatch, tmp_path)._repr_html_()
    assert "Curves" not in page and "By payment_type" in page


def test_the_curves_come_after_the_overall_metrics(monkeypatch, tmp_path):
    found = evaluation.Evaluation(
        metrics=long_form(SLICES),
        thresholds=pd.DataFrame(columns=["metric", "slice", "required", "measured", "result"]),
        validation_ok=True,
        blessed=True,
        baseline_uri=None,
        plots={"candidate": _plots()},
    )
    monkeypatch.setattr(evaluation, "load", lambda run: found)
    run = Run(tmp_path, "taxi", "run-1", STARTED, steps={}, outputs={}, inputs={})
    page = evaluation.report(run)._repr_html_()

    curves = page.index("Curves (overall slice, eval split)")
    assert page.index("Overall metrics") < curves < page.index("<h3>Slices</h3>")
    assert page[curves:].count('<img alt="chart"') >= 3


def test_the_overall_metrics_show_the_candidates_intervals(monkeypatch, tmp_path):
    metrics = _with_intervals_and_baseline(long_form(SLICES))
    section = _section_of(metrics, (), monkeypatch, tmp_path)

    overall = section.tables["overall"].set_index("metric")
    assert overall.loc["auc", "candidate"] == pytest.approx(0.96)  # the numbers stay numbers
    page = section._repr_html_()
    shown = page[page.index("Overall metrics") : page.index("By payment_type")]
    assert "<td>0.960 (0.94–0.98)</td>" in shown
    assert "<td>0.95</td>" in shown  # the baseline's value, without an interval
