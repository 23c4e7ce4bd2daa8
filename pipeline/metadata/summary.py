"""What a run did, in one record: rows, the data gate, metrics, blessing, push, evidence.

Read from a `Run` (ML Metadata and the artifacts it records); the local
runner prints it (`pipeline.runners.terminal`) and the tests assert on it.
"""

from __future__ import annotations

import dataclasses

from pipeline import steps
from pipeline.components import standard_outputs
from pipeline.components.attributions.artifacts import load_result as load_attributions
from pipeline.components.data_gate.decision import GateOutcome
from pipeline.components.evaluator.results import (
    OVERALL,
    failed_thresholds,
    load_metrics,
    load_thresholds,
    overall_metrics,
)
from pipeline.components.fairness_check.artifacts import load_result as load_fairness
from pipeline.components.fairness_check.decision import FairnessOutcome, describe
from pipeline.components.pusher.spec import ALREADY_PUSHED_PROPERTY
from pipeline.components.skill_check.artifacts import load_result as load_skill
from pipeline.components.skill_check.decision import SkillOutcome
from pipeline.components.skill_check.decision import describe as describe_skill
from pipeline.config import PipelineConfig
from pipeline.metadata import store as S
from pipeline.metadata.run import Run, open_run


@dataclasses.dataclass
class RunSummary:
    run_id: str
    executions: dict[str, str]  # component id -> "executed" / "cached" / state
    split_rows: dict[str, int]
    anomalies: dict[str, dict[str, str]]  # split -> feature -> description
    gate: GateOutcome | None  # None when the gate did not run
    metrics: dict[str, float]
    baseline_metrics: dict[str, float]  # empty when there was no baseline model
    failed_thresholds: list[str]
    blessed: bool | None
    pushed_path: str | None
    pushed_version: str | None
    # The FairnessCheck's outcome; None when it did not run.
    fairness: FairnessOutcome | None = None
    # The SkillCheck's outcome (the model against the trivial predictor); None when it did not run.
    skill: SkillOutcome | None = None
    # Tuner trials, best first ({"trial_id", "score", hyperparameter values}); empty without --tune.
    tuner_trials: list = dataclasses.field(default_factory=list)
    # Raw features, most important first (permutation importance on the eval split).
    top_features: list[str] = dataclasses.field(default_factory=list)
    # The version that already holds this run's model, when the Pusher did not push it again.
    already_pushed_version: str | None = None
    # The candidate's thresholds on the overall slice: {"metric", "required", "measured",
    # "result"} each; empty when nothing was evaluated.
    thresholds: list[dict] = dataclasses.field(default_factory=list)
    # Component id -> the first error line recorded on its failed execution.
    errors: dict[str, str] = dataclasses.field(default_factory=dict)


def _anomalies(artifact) -> dict[str, dict[str, str]]:
    found = {}
    for split, proto in standard_outputs.anomalies_by_split(artifact).items():
        found[split] = {
            feature: info.description or info.short_description
            for feature, info in proto.anomaly_info.items()
        }
        if proto.HasField("dataset_anomaly_info"):
            found[split]["<dataset>"] = proto.dataset_anomaly_info.description
    return found


def _overall_thresholds(evaluation_uri: str) -> list[dict]:
    table, _ = load_thresholds(evaluation_uri, load_metrics(evaluation_uri))
    overall = table[table["slice"] == OVERALL]
    return overall[["metric", "required", "measured", "result"]].to_dict("records")


def _final_blessing(run: Run):
    """The blessing the Pusher read (the FairnessCheck's), else the Evaluator's."""
    return run.output(steps.FAIRNESS_CHECK, "blessing") or run.output(steps.EVALUATOR, "blessing")


def summarize(run: Run) -> RunSummary:
    """The summary of one opened run."""
    from tfx.components.evaluator import constants

    statistics = run.output(steps.STATISTICS_GEN, "statistics")
    anomalies = run.output(steps.EXAMPLE_VALIDATOR, "anomalies")
    evaluation = run.output(steps.EVALUATOR, "evaluation")
    blessing = _final_blessing(run)
    pushed = run.output(steps.PUSHER, "pushed_model")
    fairness_result = run.output(steps.FAIRNESS_CHECK, "result")
    fairness = load_fairness(fairness_result) if fairness_result is not None else None
    skill_result = run.output(steps.SKILL_CHECK, "result")
    skill = load_skill(skill_result) if skill_result is not None else None
    failed = failed_thresholds(evaluation.uri) if evaluation else []
    if skill is not None:
        failed += [f"Skill: {describe_skill(c)}" for c in skill.failures]
    if fairness is not None and fairness.blocked:
        failed += [f"Fairness (blocking): {describe(gap)}" for gap in fairness.breaches]
    metrics, baseline_metrics = overall_metrics(evaluation.uri) if evaluation else ({}, {})
    is_pushed = pushed is not None and pushed.get_int_custom_property(S.PUSHED_PROPERTY) == 1
    tuner_results = run.output(steps.TUNER, "tuner_results")
    attributions = run.output(steps.ATTRIBUTIONS, "attributions")
    return RunSummary(
        run_id=run.run_id,
        executions={name: step.state for name, step in run.steps.items()},
        split_rows=(
            standard_outputs.row_counts(standard_outputs.statistics_by_split(statistics))
            if statistics
            else {}
        ),
        anomalies=_anomalies(anomalies) if anomalies else {},
        gate=run.gate,
        metrics=metrics,
        baseline_metrics=baseline_metrics,
        failed_thresholds=failed,
        blessed=(
            bool(blessing.get_int_custom_property(constants.ARTIFACT_PROPERTY_BLESSED_KEY))
            if blessing
            else None
        ),
        pushed_path=(
            pushed.get_string_custom_property(S.PUSHED_DESTINATION_PROPERTY) if is_pushed else None
        ),
        pushed_version=(
            pushed.get_string_custom_property(S.PUSHED_VERSION_PROPERTY) if is_pushed else None
        ),
        fairness=fairness,
        skill=skill,
        tuner_trials=standard_outputs.tuner_trials(tuner_results) if tuner_results else [],
        top_features=load_attributions(attributions).ranking() if attributions else [],
        already_pushed_version=(
            pushed.get_string_custom_property(ALREADY_PUSHED_PROPERTY) or None if pushed else None
        ),
        thresholds=_overall_thresholds(evaluation.uri) if evaluation else [],
        errors={name: step.error for name, step in run.steps.items() if step.error},
    )


def summarize_latest_run(config: PipelineConfig) -> RunSummary:
    """Read the newest run of `config.pipeline_name` back from ML Metadata."""
    run = open_run(
        config.pipeline_root,
        pipeline_name=config.pipeline_name,
        metadata_path=config.metadata_path,
        with_drift_reference=False,
    )
    return summarize(run)
