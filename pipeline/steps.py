"""The pipeline's steps: component ids and the order of the DAG.

The ids are what ML Metadata, the logs, the run summary and the reports call
each step. `create_pipeline` lists its components in `DAG_ORDER`, and the
reports list a run's steps in the same order. No TFX import: readers of a
finished run use these names without loading the pipeline.
"""

from __future__ import annotations

EXAMPLE_GEN = "CsvExampleGen"
STATISTICS_GEN = "StatisticsGen"
SCHEMA_GEN = "ImportSchemaGen"
EXAMPLE_VALIDATOR = "ExampleValidator"
ACCEPTED_DATA_RESOLVER = "AcceptedDataResolver"
DATA_GATE = "DataGate"
TRANSFORM = "Transform"
TUNER = "Tuner"
TRAINER = "Trainer"
BASELINE_RESOLVER = "BaselineModelResolver"
EVALUATOR = "Evaluator"
SKILL_CHECK = "SkillCheck"
FAIRNESS_CHECK = "FairnessCheck"
ATTRIBUTIONS = "Attributions"
PUSHER = "Pusher"

DAG_ORDER = (
    EXAMPLE_GEN,
    STATISTICS_GEN,
    SCHEMA_GEN,
    EXAMPLE_VALIDATOR,
    ACCEPTED_DATA_RESOLVER,
    DATA_GATE,
    TRANSFORM,
    TUNER,
    TRAINER,
    BASELINE_RESOLVER,
    EVALUATOR,
    SKILL_CHECK,
    FAIRNESS_CHECK,
    ATTRIBUTIONS,
    PUSHER,
)
# Steps only some configurations include (the Tuner: with tuning on).
OPTIONAL = frozenset({TUNER})


def planned(ran: set[str] | frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The steps a run is expected to have in DAG order: every required one, and the
    optional ones that ran."""
    return tuple(s for s in DAG_ORDER if s not in OPTIONAL or s in ran)
