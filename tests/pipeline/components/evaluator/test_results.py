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
