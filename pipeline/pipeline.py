"""`create_pipeline(config)`: the runner-neutral TFX pipeline.

Pure: it reads no environment and touches no file; every path and setting
comes from the `PipelineConfig` a runner built.
"""

from __future__ import annotations

import dataclasses
import json

from tfx import v1 as tfx

from pipeline import baseline, gate_component
from pipeline.attributions_component import Attributions
from pipeline.baseline import BaselineModelStrategy
from pipeline.config import PipelineConfig
from pipeline.evaluation import eval_config
from pipeline.fairness import with_fairness
from pipeline.fairness_component import FairnessCheck
from pipeline.inputs import CSV_PATTERN
from pipeline.pusher import Pusher

# Component ids: what ML Metadata, the logs and the run summary call each step.
EXAMPLE_GEN = "CsvExampleGen"
STATISTICS_GEN = "StatisticsGen"
SCHEMA_GEN = "ImportSchemaGen"
EXAMPLE_VALIDATOR = "ExampleValidator"
ACCEPTED_DATA_RESOLVER = "AcceptedDataResolver"
DATA_GATE = "DataGate"
TRANSFORM = "Transform"
TRAINER = "Trainer"
BASELINE_RESOLVER = "BaselineModelResolver"
EVALUATOR = "Evaluator"
PUSHER = "Pusher"
# Only with config.tuning.enabled.
TUNER = "Tuner"
FAIRNESS_CHECK = "FairnessCheck"
ATTRIBUTIONS = "Attributions"

PREPROCESSING_FN = "models.preprocessing.preprocessing_fn"
RUN_FN = "models.trainer.run_fn"
TUNER_FN = "models.tuning.tuner_fn"


def _example_gen(config: PipelineConfig):
    output = tfx.proto.Output(
        split_config=tfx.proto.SplitConfig(
            splits=[
                tfx.proto.SplitConfig.Split(name=name, hash_buckets=buckets)
                for name, buckets in config.splits
            ]
        )
    )
    return tfx.components.CsvExampleGen(
        input_base=config.data_root,
        input_config=tfx.proto.Input(
            splits=[tfx.proto.Input.Split(name="single_split", pattern=CSV_PATTERN)]
        ),
        output_config=output,
    ).with_id(EXAMPLE_GEN)


def _baseline_resolver(config: PipelineConfig, candidate):
    channels = {
        baseline.MODEL_KEY: tfx.dsl.Channel(type=tfx.types.standard_artifacts.Model),
        # The FairnessCheck's blessing, not the Evaluator's: a model the fairness
        # check blocked was never served and must not become the baseline.
        baseline.BLESSING_KEY: tfx.dsl.Channel(
            type=tfx.types.standard_artifacts.ModelBlessing,
            producer_component_id=FAIRNESS_CHECK,
            output_key="blessing",
        ),
    }
    if config.builtin_resolvers:
        strategy = tfx.dsl.experimental.LatestBlessedModelStrategy
    else:
        strategy = BaselineModelStrategy
        channels[baseline.CANDIDATE_KEY] = candidate
    return tfx.dsl.Resolver(strategy_class=strategy, **channels).with_id(BASELINE_RESOLVER)


def _accepted_data_resolver(config: PipelineConfig, candidate):
    """The last data the gate passed, for drift (only passed gates publish a result)."""
    channels = {gate_component.PREVIOUS_KEY: tfx.dsl.Channel(type=gate_component.DataValidation)}
    if config.builtin_resolvers:
        strategy = tfx.dsl.experimental.LatestArtifactStrategy
    else:
        strategy = gate_component.PreviousAcceptedStrategy
        channels[gate_component.CANDIDATE_KEY] = candidate
    return tfx.dsl.Resolver(strategy_class=strategy, **channels).with_id(ACCEPTED_DATA_RESOLVER)


def _tuner(config: PipelineConfig, transform, schema_gen):
    """KerasTuner's search over models.tuning.search_space(), trained on `train`."""
    return tfx.components.Tuner(
        tuner_fn=TUNER_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        train_args=tfx.proto.TrainArgs(splits=["train"], num_steps=config.tuning.steps_per_trial),
        eval_args=tfx.proto.EvalArgs(splits=["validation"]),
        custom_config={
            "code_fingerprint": config.code_fingerprint,
            "seed": config.seed,
            "max_trials": config.tuning.max_trials,
        },
    ).with_id(TUNER)


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


def create_pipeline(config: PipelineConfig) -> tfx.dsl.Pipeline:
    """The DAG: ingest, validate, gate on the data, transform, train, evaluate, push."""
    example_gen = _example_gen(config)
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"]).with_id(
        STATISTICS_GEN
    )
    schema_gen = tfx.components.ImportSchemaGen(schema_file=config.schema_path).with_id(SCHEMA_GEN)
    example_validator = tfx.components.ExampleValidator(
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
    ).with_id(EXAMPLE_VALIDATOR)

    accepted_data = _accepted_data_resolver(config, statistics_gen.outputs["statistics"])
    data_gate = gate_component.DataGate(
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
        anomalies=example_validator.outputs["anomalies"],
        previous=accepted_data.outputs[gate_component.PREVIOUS_KEY],
        config=config.gate,
    ).with_id(DATA_GATE)

    code_config = {"code_fingerprint": config.code_fingerprint}
    transform = tfx.components.Transform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=PREPROCESSING_FN,
        splits_config=tfx.proto.SplitsConfig(
            analyze=["train"], transform=[name for name, _ in config.splits]
        ),
        custom_config=code_config,
    ).with_id(TRANSFORM)
    # Transform reads nothing the gate writes; this edge only orders it
    # after the gate, so a blocked gate stops the run before any training.
    transform.add_upstream_node(data_gate)

    tuner = _tuner(config, transform, schema_gen) if config.tuning.enabled else None
    trainer = tfx.components.Trainer(
        run_fn=RUN_FN,
        examples=transform.outputs["transformed_examples"],
        transform_graph=transform.outputs["transform_graph"],
        schema=schema_gen.outputs["schema"],
        hyperparameters=tuner.outputs["best_hyperparameters"] if tuner else None,
        train_args=tfx.proto.TrainArgs(splits=["train"], num_steps=config.train_steps),
        eval_args=tfx.proto.EvalArgs(splits=["validation"]),
        custom_config={**code_config, "seed": config.seed},
    ).with_id(TRAINER)

    baseline_resolver = _baseline_resolver(config, trainer.outputs["model"])

    evaluator = tfx.components.Evaluator(
        examples=example_gen.outputs["examples"],
        model=trainer.outputs["model"],
        baseline_model=baseline_resolver.outputs[baseline.MODEL_KEY],
        eval_config=with_fairness(eval_config(config.thresholds), config.fairness),
        example_splits=["eval"],
    ).with_id(EVALUATOR)
    fairness_check = FairnessCheck(
        evaluation=evaluator.outputs["evaluation"],
        model_blessing=evaluator.outputs["blessing"],
        config=config.fairness,
    ).with_id(FAIRNESS_CHECK)
    attributions = Attributions(
        model=trainer.outputs["model"],
        examples=example_gen.outputs["examples"],
        config=config.attributions,
        seed=config.seed,
    ).with_id(ATTRIBUTIONS)

    pusher = Pusher(
        model=trainer.outputs["model"],
        model_blessing=fairness_check.outputs["blessing"],
        examples=example_gen.outputs["examples"],
        base_directory=config.push_base_directory,
        provenance=provenance_json(config),
        evaluation=evaluator.outputs["evaluation"],
        fairness=fairness_check.outputs["result"],
        attributions=attributions.outputs["attributions"],
        statistics=statistics_gen.outputs["statistics"],
        schema=schema_gen.outputs["schema"],
        tuner_results=tuner.outputs["tuner_results"] if tuner else None,
    ).with_id(PUSHER)

    return tfx.dsl.Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        components=[
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
            fairness_check,
            attributions,
            pusher,
        ],
        enable_cache=config.enable_cache,
        metadata_connection_config=(
            tfx.orchestration.metadata.sqlite_metadata_connection_config(config.metadata_path)
            if config.metadata_path
            else None
        ),
        beam_pipeline_args=list(config.beam_args),
    )
