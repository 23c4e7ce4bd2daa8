"""Slice metrics with counts, "n/a" where undefined, tiny slices apart, bad slices called out."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from reports import slices


def table(rows, feature="payment_type") -> pd.DataFrame:
    """Slices as `slice_table` gives them: value, example_count, auc, recall, mean_label."""
    columns = [feature, "example_count", "auc", "recall", "mean_label"]
    return pd.DataFrame(rows, columns=columns)


PAYMENTS = table(
    [
        ("Cash", 2000, 0.95, 0.0, 0.0),
        ("Credit Card", 1000, 0.69, 0.9, 0.6),
        ("No Charge", 10, 0.0, 0.0, 0.0),
        ("Dispute", 4, 0.0, 1.0, 1.0),
        ("Unknown", 8, 0.93, 0.5, 0.25),
    ]
)


def test_binary_slices_get_a_positive_count_after_the_example_count():
    counted = slices.with_counts(PAYMENTS, binary=True)

    assert list(counted.columns[:3]) == ["payment_type", "example_count", "positives"]
    assert list(counted["positives"]) == [0, 600, 0, 4, 2]


def test_metrics_undefined_on_a_one_class_slice_are_missing_not_zero():
    counted = slices.with_counts(PAYMENTS, binary=True).set_index("payment_type")

    # No positive: AUC and recall are undefined.
    assert math.isnan(counted.loc["No Charge", "auc"])
    assert math.isnan(counted.loc["No Charge", "recall"])
    # Only positives: AUC is undefined, recall is not.
    assert math.isnan(counted.loc["Dispute", "auc"])
    assert counted.loc["Dispute", "recall"] == 1.0
    # Both classes: TFMA's values stay.
    assert counted.loc["Unknown", "auc"] == 0.93
    assert counted.loc["Credit Card", "auc"] == 0.69


def test_other_tasks_keep_their_metrics_and_get_no_positive_count():
    counted = slices.with_counts(PAYMENTS, binary=False)
    assert "positives" not in counted
    assert counted["auc"].tolist() == PAYMENTS["auc"].tolist()


def test_slices_below_the_minimum_size_are_set_apart():
    large, small = slices.by_size(PAYMENTS, 100)

    assert list(large["payment_type"]) == ["Cash", "Credit Card"]
    assert list(small["payment_type"]) == ["No Charge", "Dispute", "Unknown"]


def test_hours_are_in_natural_order_and_names_keep_theirs():
    hours = table([("17", 50, 0.9, 0, 0), ("3", 40, 0.9, 0, 0), ("10", 30, 0.9, 0, 0)], "hour")

    assert list(slices.in_natural_order(hours, "hour")["hour"]) == ["3", "10", "17"]
    ordered = slices.in_natural_order(PAYMENTS, "payment_type")
    assert list(ordered["payment_type"]) == [
        "Cash",
        "Credit Card",
        "Dispute",
        "No Charge",
        "Unknown",
    ]


def _long_form(rows) -> pd.DataFrame:
    columns = ["slice", "value of slice", "model", "metric", "value"]
    return pd.DataFrame(rows, columns=columns)


LONG = _long_form(
    [
        ("payment_type", "Credit Card", "candidate", "auc", 0.69),
        ("trip_start_hour", "17", "candidate", "auc", 0.97),
        ("Overall", "", "candidate", "example_count", 3000),
        ("payment_type", "Cash", "candidate", "auc", 0.95),
        ("trip_start_hour", "3", "candidate", "auc", 0.95),
        ("Overall", "", "candidate", "auc", 0.96),
        ("company", "b", "candidate", "auc", 0.9),
        ("trip_start_hour", "10", "candidate", "auc", 0.80),
    ]
)


def test_metrics_are_ordered_overall_first_then_configured_features_then_natural_values():
    ordered = slices.ordered_metrics(LONG, ["trip_start_hour", "payment_type"])

    assert list(zip(ordered["slice"], ordered["value of slice"], strict=True)) == [
        ("Overall", ""),
        ("Overall", ""),
        ("trip_start_hour", "3"),
        ("trip_start_hour", "10"),
        ("trip_start_hour", "17"),
        ("payment_type", "Cash"),
        ("payment_type", "Credit Card"),
        ("company", "b"),  # not configured: after the configured ones
    ]
    # Rows of one slice keep their order (the overall slice's count, then its AUC).
    assert list(ordered["metric"][:2]) == ["example_count", "auc"]


def test_the_order_does_not_depend_on_the_order_tfma_wrote_the_slices_in():
    features = ["trip_start_hour", "payment_type"]
    first = slices.ordered_metrics(LONG, features)
    for seed in range(5):
        shuffled = LONG.sample(frac=1, random_state=seed).reset_index(drop=True)
        again = slices.ordered_metrics(shuffled, features)
        same_slices = again[["slice", "value of slice"]].equals(first[["slice", "value of slice"]])
        assert same_slices


def test_a_slice_much_worse_than_overall_is_called_out_with_its_counts():
    large, _ = slices.by_size(slices.with_counts(PAYMENTS, binary=True), 100)

    (outlier,) = slices.outliers(large, "payment_type", "auc", overall=0.96)

    assert (outlier.value, outlier.measured, outlier.examples, outlier.positives) == (
        "Credit Card",
        0.69,
        1000,
        600,
    )
    assert outlier.sentence() == (
        "payment_type = Credit Card: auc 0.690 against 0.960 overall "
        "(1,000 examples, 600 positive)."
    )


@pytest.mark.parametrize(
    ("metric", "value", "overall", "worse"),
    [
        ("auc", 0.85, 0.96, True),
        ("auc", 0.87, 0.96, False),
        ("auc", float("nan"), 0.96, False),
        ("binary_accuracy", 0.99, 0.80, False),
        ("root_mean_squared_error", 13.0, 10.0, True),
        ("root_mean_squared_error", 12.0, 10.0, False),
        ("precision", 0.1, 0.9, False),  # no rule for it: never called out
    ],
)
def test_much_worse_means_a_drop_of_scores_or_a_rise_of_errors(metric, value, overall, worse):
    assert slices.much_worse(value, overall, metric) is worse


def _metrics_with_intervals() -> pd.DataFrame:
    columns = ["slice", "value of slice", "model", "metric", "value", "lower", "upper"]
    rows = [
        ("payment_type", "Cash", "candidate", "auc", 0.949, 0.912, 0.973),
        ("payment_type", "Cash", "candidate", "example_count", 2000, math.nan, math.nan),
        ("payment_type", "Credit Card", "candidate", "auc", 0.99, 0.97, 1.02),
        ("payment_type", "Credit Card", "baseline", "auc", 0.98, 0.96, 1.0),
    ]
    return pd.DataFrame(rows, columns=columns)


def test_each_metric_reads_with_its_interval_cut_to_0_1_for_scores():
    metrics = _metrics_with_intervals()
    table = pd.DataFrame(
        {"payment_type": ["Cash", "Credit Card", "No Charge"], "example_count": [2000, 900, 10]}
    )
    table["auc"] = [0.949, 0.99, math.nan]

    shown = slices.readable(
        table, "payment_type", slices.intervals(metrics, "payment_type"), has_baseline=False
    )

    assert list(shown["auc"]) == ["0.949 (0.91–0.97)", "0.990 (0.97–1.00)", "n/a"]
    assert list(shown["example_count"]) == [2000, 900, 10]  # counts stay numbers


def test_the_baseline_models_value_sits_beside_the_candidates():
    candidate = pd.DataFrame({"payment_type": ["Cash", "Credit Card"], "auc": [0.949, 0.99]})
    baseline = pd.DataFrame({"payment_type": ["Credit Card"], "auc": [0.98]})

    table = slices.with_baseline(candidate, baseline, "payment_type", "auc")

    assert list(table.columns) == ["payment_type", "auc", "baseline auc"]
    assert table["baseline auc"].tolist()[1] == 0.98 and math.isnan(table["baseline auc"][0])
    shown = slices.readable(table, "payment_type", {}, has_baseline=True)
    assert list(shown["baseline auc"]) == ["n/a", "0.98"]
    first_run = slices.with_baseline(candidate, baseline.iloc[0:0], "payment_type", "auc")
    shown = slices.readable(first_run, "payment_type", {}, has_baseline=False)
    assert list(shown["baseline auc"]) == [slices.NO_BASELINE] * 2


def test_a_one_class_slice_has_no_baseline_auc_either():
    table = pd.DataFrame(
        {
            "payment_type": ["No Charge"],
            "example_count": [10],
            "auc": [0.0],
            "baseline auc": [0.0],
            "mean_label": [0.0],
        }
    )

    counted = slices.with_counts(table, binary=True)

    assert math.isnan(counted["auc"][0]) and math.isnan(counted["baseline auc"][0])


def test_a_loss_interval_does_not_reach_below_zero():
    table = pd.DataFrame({"island": ["Dream"], "sparse_categorical_crossentropy": [3.05e-05]})
    bounds = {("Dream", "sparse_categorical_crossentropy"): (-2.53e-05, 8.61e-05)}

    shown = slices.readable(table, "island", bounds, has_baseline=False)

    assert shown["sparse_categorical_crossentropy"][0] == "0.000 (0.00–0.00)"
