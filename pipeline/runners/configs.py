"""The `PipelineConfig`s runners build: one for this machine's paths, one for a cluster's.

Every local runner (run_local.py, a compiled Airflow DAG, the tests) builds
its config with `local_config`, so the dataset, the staged schema, the ML
Metadata path and the code fingerprint are chosen the same way everywhere;
compiled Kubeflow/Vertex specs use `cluster_config`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from google.protobuf import text_format

import schemas
from models.dataset import DatasetError, DatasetSpec, resolve
from pipeline import defaults
from pipeline.config import PipelineConfig, Provenance
from pipeline.fingerprints import code_fingerprint, data_file_hashes
from pipeline.runners.provenance import git_state, stage_schema


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A dataset file, read, checked against its schema and resolved."""

    spec: DatasetSpec  # resolved: every model feature has its transform
    file: Path
    schema_path: Path
    schema: object  # schema_pb2.Schema
    data_root: Path | None  # the file's default data folder


def load_dataset(name_or_path: str | Path, schema_path: Path | None = None) -> Dataset:
    """A bundled dataset's name or a dataset file's path, resolved against its schema
    (or `schema_path`); models.dataset.DatasetError names the file and the key."""
    spec, file = schemas.read_dataset(name_or_path)
    schema_file = Path(schema_path) if schema_path else schemas.schema_path(spec, file)
    if not schema_file.is_file():
        raise DatasetError(f"{file}: schema_file: {schema_file} does not exist")
    try:
        schema = schemas.load_schema(schema_file)
    except (text_format.ParseError, UnicodeDecodeError, OSError) as e:
        raise DatasetError(
            f"{schema_file}: not a readable text-format schema ({e}); "
            "python -m pipeline init writes one from data"
        ) from None
    return Dataset(
        spec=resolve(spec, schema, str(file)),
        file=file,
        schema_path=schema_file,
        schema=schema,
        data_root=schemas.data_root(spec, file),
    )


def provenance(data_root: Path, files) -> Provenance:
    """What a local run was made from: the checkout's commit and the data files' hashes."""
    commit, dirty = git_state(Path(__file__).resolve().parent)
    return Provenance(
        git_commit=commit, git_dirty=dirty, data_files=data_file_hashes(data_root, files)
    )


def _fingerprint(spec: DatasetSpec) -> str:
    return code_fingerprint(modules=(spec.hooks,) if spec.hooks else ())


def local_config(
    *,
    pipeline_root: str | Path,
    data_root: str | Path,
    serving_dir: str | Path,
    dataset: Dataset | None = None,
    schema: str | Path | None = None,
    pipeline_name: str | None = None,
    **settings,
) -> PipelineConfig:
    """A config for paths this machine (and its workers) can read, ML Metadata in SQLite.

    `dataset` defaults to the bundled default one; its name names the pipeline
    and the served model unless `pipeline_name` or `model_name` says otherwise.
    The schema (the dataset's, or `schema`) is staged under the pipeline root
    (`stage_schema`); `settings` are any other `PipelineConfig` fields.
    """
    dataset = dataset or load_dataset(schemas.DEFAULT_DATASET, schema)
    root = Path(pipeline_root).resolve()
    spec = dataset.spec
    return PipelineConfig(
        pipeline_name=pipeline_name or spec.name,
        pipeline_root=str(root),
        data_root=str(Path(data_root).resolve()),
        schema_path=str(stage_schema(Path(schema or dataset.schema_path), root)),
        serving_dir=str(Path(serving_dir).resolve()),
        metadata_path=str(defaults.metadata_path(root)),
        dataset=spec,
        **{"model_name": spec.served_name, "code_fingerprint": _fingerprint(spec), **settings},
    )


def cluster_config(
    *,
    pipeline_root: str,
    data_root: str,
    schema: str,
    serving_dir: str,
    dataset: Dataset,
    pipeline_name: str | None = None,
    **settings,
) -> PipelineConfig:
    """A config for paths as a cluster's workers see them (Kubeflow V2, Vertex AI).

    The orchestrator keeps ML Metadata itself, and only TFX's built-in resolver
    strategies compile for it.
    """
    spec = dataset.spec
    return PipelineConfig(
        pipeline_name=pipeline_name or spec.name,
        pipeline_root=pipeline_root,
        data_root=data_root,
        schema_path=schema,
        serving_dir=serving_dir,
        metadata_path=None,
        builtin_resolvers=True,
        dataset=spec,
        **{"model_name": spec.served_name, "code_fingerprint": _fingerprint(spec), **settings},
    )
