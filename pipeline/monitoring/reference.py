"""What a served version is judged against: the run that trained it, found in ML Metadata.

served version -> PushedModel -> trained model -> the Trainer's run -> that run's
StatisticsGen train split, its schema, its data gate's thresholds, its
ExampleGen eval split, and the pushed SavedModel. A version `pipeline
rollback` copied (marked with the version it copies) is the same SavedModel,
so it is traced through that version. A version whose chain breaks anywhere is
`NoReference` with the reason: its traffic is never compared with another
version's training data.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline import steps
from pipeline.components.standard_outputs import read_schema, split_statistics
from pipeline.config import GateConfig
from pipeline.metadata.lineage import LineageError, trace
from pipeline.metadata.run import NoRunError, open_run
from pipeline.metadata.store import NoStoreError
from pipeline.metadata.versions import rolled_back_from

TRAIN, EVAL = "train", "eval"


class NoReference(LookupError):
    """The version's training run or statistics cannot be found; the message says why."""


@dataclasses.dataclass(frozen=True)
class Reference:
    version: str
    run_id: str
    statistics: object  # DatasetFeatureStatisticsList of the train split
    schema: object  # schema_pb2.Schema
    gate: GateConfig
    examples_uri: str | None  # ExampleGen's output (the eval split's examples)
    model_dir: str | None  # the pushed SavedModel, if still on disk
    copy_of: str | None = None  # the pushed version a rollback copied into this one


def _model_dir(pushed_path: str, serving_base: Path | None, version: str) -> str | None:
    candidates = [Path(pushed_path)] + ([serving_base / version] if serving_base else [])
    return next((str(p) for p in candidates if p.is_dir()), None)


def find_reference(
    metadata_path: str, pipeline_root: str | Path, version: str, serving_base: Path | None
) -> Reference:
    """The training side of `version`; NoReference when any link is missing."""
    copy_of = rolled_back_from(str(serving_base), version) if serving_base else None
    try:
        lineage = trace(metadata_path, copy_of or version)
    except (LineageError, NoStoreError) as e:
        raise NoReference(str(e)) from None
    model = lineage.link("model")
    try:
        run = open_run(
            pipeline_root, run_id=model.run_id, metadata_path=metadata_path,
            with_drift_reference=False,
        )  # fmt: skip
    except NoRunError as e:
        raise NoReference(str(e)) from None
    statistics = run.output(steps.STATISTICS_GEN, "statistics")
    schema = run.output(steps.SCHEMA_GEN, "schema")
    if statistics is None or schema is None:
        node, key = (
            (steps.STATISTICS_GEN, "statistics")
            if statistics is None
            else (steps.SCHEMA_GEN, "schema")
        )
        raise NoReference(f"Run {run.run_id}: {run.why_missing(node, key)}")
    try:
        train = split_statistics(statistics.uri, TRAIN)
    except Exception as e:  # the artifact's files were deleted or moved
        raise NoReference(
            f"Run {run.run_id}: the {TRAIN} statistics cannot be read ({e})"
        ) from None
    examples = run.output(steps.EXAMPLE_GEN, "examples")
    return Reference(
        version=version,
        run_id=run.run_id,
        statistics=train,
        schema=read_schema(schema),
        gate=run.gate_config or GateConfig(),
        examples_uri=examples.uri if examples is not None else None,
        model_dir=_model_dir(lineage.path, serving_base, version),
        copy_of=copy_of,
    )
