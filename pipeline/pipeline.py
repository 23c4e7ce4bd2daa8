"""`create_pipeline(config)`: the runner-neutral TFX pipeline.

Pure: it reads no environment and touches no file; every path and setting
comes from the `PipelineConfig` a runner built.
"""

from __future__ import annotations

import dataclasses
import json

# Not `tfx.v1`: that package also imports the Vertex AI extensions
# (google-cloud-aiplatform), seconds of every run and every CLI command.
from tfx import components
from tfx.components.schema_gen.import_schema_gen.component import ImportSchemaGen
from tfx.dsl.components.common.resolver import Resolver
from tfx.dsl.input_resolution.strategies.latest_artifact_strategy import LatestArtifactStrategy
from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy,
)
from tfx.orchestration import metadata
from tfx.orchestration import pipeline as tfx_pipeline
from tfx.proto import example_gen_pb2, trainer_pb2, transform_pb2
from tfx.types import standard_artifacts
from tfx.types.channel import Channel

from models.dataset import CUSTOM_CONFIG_KEY
from pipeline import steps
from pipeline.components.attributions.component import Attributions
from pipeline.components.baseline import strategy as baseline
from pipeline.components.csv_example_gen.component import CsvExampleGen
from pipeline.components.data_gate import spec as gate_spec
from pipeline.components.data_gate.artifacts import DataValidation
from pipeline.components.data_gate.component import DataGate
from pipeline.components.data_gate.strategy import PreviousAcceptedStrategy
from pipeline.components.evaluator.eval_config import eval_config
from pipeline.components.fairness_check.component import FairnessCheck
from pipeline.components.fairness_check.metrics import with_fairness
from pipeline.components.pusher.component import Pusher
from pipeline.components.skill_check.component import SkillCheck
from pipeline.config import PipelineConfig

PREPROCESSING_FN = "models.preprocessing.preprocessing_fn"
RUN_FN = "models.trainer.run_fn"
TUNER_FN = "models.tuning.tuner_fn"


def _example_gen(config: PipelineConfig):
    output = example_gen_pb2.Output(
        split_config=example_gen_pb2.SplitConfig(
            splits=[
                example_gen_pb2.SplitConfig.Split(name=name, hash_buckets=buckets)
                for name, buckets in config.splits
            ]
        )
    )
    return CsvExampleGen(
        input_base=config.data_root,
        input_config=example_gen_pb2.Input(
            splits=[
                example_gen_pb2.Input.Split(
                    name="single_split", pattern=config.dataset.file_pattern
                )
            ]
        ),
        output_config=output,
        missing_values=config.dataset.missing_values,
        schema_path=config.schema_path,
    ).with_id(steps.EXAMPLE_GEN)


def _baseline_resolver(config: PipelineConfig, candidate):
    channels = {
        baseline.MODEL_KEY: Channel(type=standard_artifacts.Model),
        # The FairnessCheck's blessing, not the Evaluator's: a model the fairness
        # check blocked was never served and must not become the baseline.
        baseline.BLESSING_KEY: Channel(
            type=standard_artifacts.ModelBlessing,
            producer_component_id=steps.FAIRNESS_CHECK,
            output_key="blessing",
        ),
    }
    if config.builtin_resolvers:
        strategy = LatestBlessedModelStrategy
    else:
        strategy = baseline.BaselineModelStrategy
        channels[baseline.CANDIDATE_KEY] = candidate
    return Resolver(strategy_class=strategy, **channels).with_id(steps.BASELINE_RESOLVER)


def _accepted_data_resolver(config: PipelineConfig, candidate):
    """The last data the gate passed, for drift (only passed gates publish a result)."""
    channels = {gate_spec.PREVIOUS_KEY: Channel(type=DataValidation)}
    if config.builtin_resolvers:
        strategy = LatestArtifactStrategy
    else:
        strategy = PreviousAcceptedStrategy
        channels[gate_spec.CANDIDATE_KEY] = candidate
    return Resolver(strategy_class=strategy, **channels).with_id(steps.ACCEPTED_DATA_RESOLVER)


def _code_config(config: PipelineConfig) -> dict:
    """What Transform, the Tuner and the Trainer read besides their inputs: the dataset's
    resolved spec, and the fingerprint of the code they import by name."""
    return {
        CUSTOM_CONFIG_KEY: config.dataset.for_training().to_json(),
        "code_fingerprint": config.code_fingerprint,
    }


def _tuner(config: PipelineConfig, transform, schema_gen):
    """KerasTuner's search over models.tuning.search_space(), trained on `train`."""
    return components.Tuner(
        tuner_fn=TUNER_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        train_args=trainer_pb2.TrainArgs(splits=["train"], num_steps=config.tuning.steps_per_trial),
        eval_args=trainer_pb2.EvalArgs(splits=["validation"]),
        custom_config={
            **_code_config(config),
            "seed": config.seed,
            "max_trials": config.tuning.max_trials,
        },
    ).with_id(steps.TUNER)


def provenance_json(config: PipelineConfig) -> str:
    """What the model card and `lineage` report about the run's code and data."""
    return json.dumps(
        {
            **dataclasses.asdict(config.provenance),
            "code_fingerprint": config.code_fingerprint,
            "data_root": config.data_root,
        },
        sort_keys=True,
    )


def in_dag_order(built: list) -> list:
    """`built` components listed in `steps.DAG_ORDER`, the order every reader shows them in."""
    by_id = {component.id: component for component in built}
    unknown = sorted(set(by_id) - set(steps.DAG_ORDER))
    if unknown:
        raise ValueError(f"components {unknown} are missing from pipeline.steps.DAG_ORDER")
    return [by_id[i] for i in steps.DAG_ORDER if i in by_id]


def create_pipeline(config: PipelineConfig) -> tfx_pipeline.Pipeline:
    """The DAG: ingest, validate, gate on the data, transform, (tune,) train, evaluate,
    check skill and fairness, explain, push with a model card."""
    if config.dataset is None:
        raise ValueError("config.dataset is required to build a pipeline (a resolved spec)")
    example_gen = _example_gen(config)
    statistics_gen = components.StatisticsGen(examples=example_gen.outputs["examples"]).with_id(
        steps.STATISTICS_GEN
    )
    schema_gen = ImportSchemaGen(schema_file=config.schema_path).with_id(steps.SCHEMA_GEN)
    example_validator = components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
    ).with_id(steps.EXAMPLE_VALIDATOR)

    accepted_data = _accepted_data_resolver(config, statistics_gen.outputs["statistics"])
    data_gate = DataGate(
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
        anomalies=example_validator.outputs["anomalies"],
        previous=accepted_data.outputs[gate_spec.PREVIOUS_KEY],
        examples=example_gen.outputs["examples"],
        dataset=config.dataset.for_training().to_json(),
        config=config.gate,
    ).with_id(steps.DATA_GATE)

    code_config = _code_config(config)
    transform = components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN,
        splits_config=transform_pb2.SplitsConfig(
            analyze=["train"], transform=[name for name, _ in config.splits]
        ),
        custom_config=code_config,
        # StatisticsGen and the gate already describe and check the raw data;
        # Transform's own pre- and post-transform statistics would run TFDV
        # twice more on every run, and nothing reads them.
        disable_statistics=True,
        disable_analyzer_cache=True,
        force_tf_compat_v1=True,
    ).with_id(steps.TRANSFORM)
    # Transform reads nothing the gate writes; this edge only orders it
    # after the gate, so a blocked gate stops the run before any training.
    transform.add_upstream_node(data_gate)

    tuner = _tuner(config, transform, schema_gen) if config.tuning.enabled else None
    trainer = components.Trainer(
        run_fn=RUN_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        hyperparameters=tuner.outputs["best_hyperparameters"] if tuner else None,
        train_args=trainer_pb2.TrainArgs(splits=["train"], num_steps=config.train_steps),
        eval_args=trainer_pb2.EvalArgs(splits=["validation"]),
        custom_config={**code_config, "seed": config.seed},
    ).with_id(steps.TRAINER)

    baseline_resolver = _baseline_resolver(config, trainer.outputs["model"])

    evaluator = components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=baseline_resolver.outputs[baseline.MODEL_KEY],
        eval_config=with_fairness(
            eval_config(config.dataset, config.thresholds), config.fairness, config.dataset.task
        ),
        example_splits=["eval"],
    ).with_id(steps.EVALUATOR)
    skill_check = SkillCheck(
        model=trainer.outputs["model"],
        examples=example_gen.outputs["examples"],
        evaluation=evaluator.outputs["evaluation"],
        model_blessing=evaluator.outputs["blessing"],
        margin=config.thresholds.margin_over_trivial,
    ).with_id(steps.SKILL_CHECK)
    fairness_check = FairnessCheck(
        model=trainer.outputs["model"],
        evaluation=evaluator.outputs["evaluation"],
        model_blessing=skill_check.outputs["blessing"],
        config=config.fairness,
    ).with_id(steps.FAIRNESS_CHECK)
    attributions = Attributions(
        model=trainer.outputs["model"],
        examples=example_gen.outputs["examples"],
        config=config.attributions,
        seed=config.seed,
    ).with_id(steps.ATTRIBUTIONS)

    pusher = Pusher(
        model=trainer.outputs["model"],
        model_blessing=fairness_check.outputs["blessing"],
        examples=example_gen.outputs["examples"],
        base_directory=config.push_base_directory,
        provenance=provenance_json(config),
        dataset=config.dataset.to_json(),
        evaluation=evaluator.outputs["evaluation"],
        skill=skill_check.outputs["result"],
        fairness=fairness_check.outputs["result"],
        attributions=attributions.outputs["attributions"],
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
        tuner_results=tuner.outputs["tuner_results"] if tuner else None,
    ).with_id(steps.PUSHER)

    built = [
        example_gen,
        statistics_gen,
        schema_gen,
        example_validator,
        accepted_data,
        data_gate,
        transform,
        *([tuner] if tuner else []),
        trainer,
        baseline_resolver,
        evaluator,
        skill_check,
        fairness_check,
        attributions,
        pusher,
    ]
    return tfx_pipeline.Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        components=in_dag_order(built),
        enable_cache=config.enable_cache,
        metadata_connection_config=(
            metadata.sqlite_metadata_connection_config(config.metadata_path)
            if config.metadata_path
            else None
        ),
        beam_pipeline_args=list(config.beam_args),
    )
