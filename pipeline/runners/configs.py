"""The `PipelineConfig`s runners build: one for this machine's paths, one for a cluster's.

Every local runner (run_local.py, a compiled Airflow DAG, the tests) builds
its config with `local_config`, so the staged schema, the ML Metadata path
and the code fingerprint are chosen the same way everywhere; compiled
Kubeflow/Vertex specs use `cluster_config`.
"""

from __future__ import annotations

from pathlib import Path

from pipeline import defaults
from pipeline.config import PipelineConfig, Provenance
from pipeline.fingerprints import code_fingerprint, data_file_hashes
from pipeline.runners.provenance import git_state, stage_schema


def provenance(data_root: Path, files) -> Provenance:
    """What a local run was made from: the checkout's commit and the data files' hashes."""
    commit, dirty = git_state(Path(__file__).resolve().parent)
    return Provenance(
        git_commit=commit, git_dirty=dirty, data_files=data_file_hashes(data_root, files)
    )


def local_config(
    *,
    pipeline_root: str | Path,
    data_root: str | Path,
    schema: str | Path,
    serving_dir: str | Path,
    pipeline_name: str = defaults.PIPELINE_NAME,
    **settings,
) -> PipelineConfig:
    """A config for paths this machine (and its workers) can read, ML Metadata in SQLite.

    The schema is staged under the pipeline root (`stage_schema`); `settings`
    are any other `PipelineConfig` fields.
    """
    root = Path(pipeline_root).resolve()
    return PipelineConfig(
        pipeline_name=pipeline_name,
        pipeline_root=str(root),
        data_root=str(Path(data_root).resolve()),
        schema_path=str(stage_schema(Path(schema), root)),
        serving_dir=str(Path(serving_dir).resolve()),
        metadata_path=str(defaults.metadata_path(root)),
        **{"code_fingerprint": code_fingerprint(), **settings},
    )


def cluster_config(
    *,
    pipeline_root: str,
    data_root: str,
    schema: str,
    serving_dir: str,
    pipeline_name: str = defaults.PIPELINE_NAME,
    **settings,
) -> PipelineConfig:
    """A config for paths as a cluster's workers see them (Kubeflow V2, Vertex AI).

    The orchestrator keeps ML Metadata itself, and only TFX's built-in resolver
    strategies compile for it.
    """
    return PipelineConfig(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        data_root=data_root,
        schema_path=schema,
        serving_dir=serving_dir,
        metadata_path=None,
        builtin_resolvers=True,
        **{"code_fingerprint": code_fingerprint(), **settings},
    )
