"""compare_statistics: TFDV's comparators flag real skew and drift, not sampling noise.

Statistics come from TFDV itself, on slices of the taxi sample written to CSV:
two different slices of the same data, and a copy of the second with fares
x10 and a new payment type in a third of the rows.
"""

from __future__ import annotations

import pytest
import taxi_facts
from tensorflow_metadata.proto.v0 import anomalies_pb2, schema_pb2

from pipeline.components.data_gate import comparisons
from pipeline.components.data_gate.comparisons import COMPARATOR_ANOMALY_TYPES, comparator_anomalies
from pipeline.config import DriftThresholds, GateConfig

ROWS = 4000
Measurement = anomalies_pb2.DriftSkewInfo.Measurement


def _gate() -> GateConfig:
    """What the taxi pipeline's data gate compares (from its dataset file)."""
    return GateConfig.for_dataset(taxi_facts.spec())


def compared_features() -> tuple[str, ...]:
    return _gate().compared


def compare_statistics(*args, **kwargs):
    """`comparisons.compare_statistics` on the columns and histograms the taxi gate uses."""
    gate = _gate()
    return comparisons.compare_statistics(
        *args, compared=gate.compared, long_tailed=gate.long_tailed, **kwargs
    )


@pytest.fixture(scope="module")
def statistics(tmp_path_factory, sample_rows, trip_skew, csv_writer):
    import tensorflow_data_validation as tfdv

    folder = tmp_path_factory.mktemp("data_checks")
    first, second = sample_rows[:ROWS], sample_rows[ROWS : 2 * ROWS]
    spans = {"base": first, "same": second, "skewed": trip_skew.apply(second)}
    return {
        name: tfdv.generate_statistics_from_csv(str(csv_writer(folder / f"{name}.csv", rows)))
        for name, rows in spans.items()
    }


def _measured(anomalies, kind: str) -> dict[str, Measurement]:
    found = {}
    for info in anomalies.drift_skew_info:
        for m in getattr(info, f"{kind}_measurements"):
            found[".".join(info.path.step)] = m
    return found


def test_thresholds_must_be_fractions():
    assert 0 < DriftThresholds().numeric_jensen_shannon <= 1
    assert 0 < DriftThresholds().categorical_l_infinity <= 1
    with pytest.raises(ValueError, match="numeric_jensen_shannon"):
        DriftThresholds(numeric_jensen_shannon=0)
    with pytest.raises(ValueError, match="categorical_l_infinity"):
        DriftThresholds(categorical_l_infinity=1.5)


def test_compared_features_are_the_model_inputs_and_the_label_source():
    assert set(compared_features()) == {*taxi_facts.model_features(), "tips", "fare"}
    assert {"fare", "trip_miles", "trip_seconds", "tips"} <= set(_gate().long_tailed)
    assert not set(taxi_facts.spec().ignore) & set(compared_features())


def test_the_callers_schema_is_left_untouched(statistics, schema):
    before = schema.SerializeToString()
    compare_statistics(statistics["base"], schema, previous=statistics["skewed"])
    assert schema.SerializeToString() == before
    assert not any(f.HasField("drift_comparator") for f in schema.feature)


def test_two_slices_of_the_same_data_show_no_drift(statistics, schema):
    anomalies = compare_statistics(
        statistics["base"], schema, previous=statistics["same"], serving=statistics["same"]
    )
    assert comparator_anomalies(anomalies) == {}
    measured = _measured(anomalies, "drift")
    assert set(measured) == set(compared_features())
    assert set(_measured(anomalies, "skew")) == set(compared_features())


def test_scaled_fares_and_a_new_payment_type_are_flagged_as_drift(statistics, schema):
    thresholds = DriftThresholds()
    anomalies = compare_statistics(
        statistics["skewed"], schema, previous=statistics["base"], thresholds=thresholds
    )
    flagged = comparator_anomalies(anomalies)
    assert set(flagged) == {"fare", "payment_type"}, flagged
    measured = _measured(anomalies, "drift")
    fare, payment = measured["fare"], measured["payment_type"]
    assert fare.type == Measurement.JENSEN_SHANNON_DIVERGENCE
    assert fare.threshold == thresholds.numeric_jensen_shannon < fare.value
    assert payment.type == Measurement.L_INFTY
    assert payment.threshold == thresholds.categorical_l_infinity < payment.value
    # The schema anomaly (an unknown payment type) is reported alongside.
    reasons = {r.type for r in anomalies.anomaly_info["payment_type"].reason}
    assert reasons - COMPARATOR_ANOMALY_TYPES


def test_skew_uses_the_serving_statistics(statistics, schema):
    anomalies = compare_statistics(statistics["base"], schema, serving=statistics["skewed"])
    assert set(comparator_anomalies(anomalies)) == {"fare", "payment_type"}
    assert _measured(anomalies, "drift") == {}
    assert set(_measured(anomalies, "skew")) == set(compared_features())


def test_lax_thresholds_flag_nothing(statistics, schema):
    lax = DriftThresholds(numeric_jensen_shannon=1.0, categorical_l_infinity=1.0)
    anomalies = compare_statistics(
        statistics["skewed"], schema, previous=statistics["base"], thresholds=lax
    )
    assert comparator_anomalies(anomalies) == {}
    assert {m.threshold for m in _measured(anomalies, "drift").values()} == {1.0}


def test_without_comparison_data_only_the_schema_is_checked(statistics, schema):
    anomalies = compare_statistics(statistics["base"], schema)
    assert len(anomalies.drift_skew_info) == 0
    assert comparator_anomalies(anomalies) == {}


def test_string_features_use_l_infinity_and_numbers_jensen_shannon(statistics, schema):
    anomalies = compare_statistics(statistics["base"], schema, previous=statistics["same"])
    types = {f.name: f.type for f in schema.feature}
    for feature, m in _measured(anomalies, "drift").items():
        expected = (
            Measurement.L_INFTY
            if types[feature] == schema_pb2.BYTES
            else Measurement.JENSEN_SHANNON_DIVERGENCE
        )
        assert m.type == expected, feature
