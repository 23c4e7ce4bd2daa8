"""Names of per-class metrics, as the model card shows them."""

from __future__ import annotations

from pipeline.components.evaluator.results import with_class, with_class_names

SPECIES = ("Adelie", "Chinstrap", "Gentoo")


def test_a_class_id_becomes_its_name():
    assert with_class_names(with_class("recall", 2), SPECIES) == "recall[Gentoo]"
    assert with_class_names("false_positive_rate@0.5[class 0]", SPECIES) == (
        "false_positive_rate@0.5[Adelie]"
    )


def test_other_metrics_and_unknown_ids_are_left_alone():
    assert with_class_names("sparse_categorical_accuracy", SPECIES) == "sparse_categorical_accuracy"
    assert with_class_names(with_class("recall", 7), SPECIES) == "recall[class 7]"
    assert with_class_names(with_class("recall", 1), ()) == "recall[class 1]"


def test_the_slicing_features_are_read_in_the_configured_order(tmp_path):
    import tensorflow_model_analysis as tfma
    from tensorflow_model_analysis.writers import eval_config_writer

    from pipeline.components.evaluator.results import slicing_features

    config = tfma.EvalConfig(
        slicing_specs=[
            tfma.SlicingSpec(),
            tfma.SlicingSpec(feature_keys=["trip_start_hour"]),
            tfma.SlicingSpec(feature_keys=["payment_type", "company"]),
            tfma.SlicingSpec(feature_keys=["payment_type"]),
            tfma.SlicingSpec(feature_keys=["trip_start_hour"]),
        ]
    )
    text = eval_config_writer._serialize_eval_run(config, "data", "tfrecord", {"": "model"})
    (tmp_path / "eval_config.json").write_text(text)

    assert slicing_features(str(tmp_path)) == ("trip_start_hour", "payment_type")


def test_slices_of_equal_size_are_listed_by_value():
    import pandas as pd

    from pipeline.components.evaluator.results import slice_table

    rows = [
        ("company", value, "candidate", "example_count", count)
        for value, count in (("b", 5), ("c", 9), ("a", 5), ("d", 5))
    ]
    metrics = pd.DataFrame(rows, columns=["slice", "value of slice", "model", "metric", "value"])

    assert list(slice_table(metrics, "company")["company"]) == ["c", "a", "b", "d"]
