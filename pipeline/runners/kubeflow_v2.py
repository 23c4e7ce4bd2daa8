"""The pipeline compiled for Kubeflow Pipelines 2 / Vertex AI Pipelines (Kubeflow V2).

`kubeflow_v2_config` builds the config with paths as the cluster sees them;
`compile_kubeflow_v2` writes the PipelineJob JSON and the pipeline-spec YAML IR
that `create_pipeline(config)` compiles to. `python -m pipeline compile
kubeflow-v2` is the command.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

from pipeline.beam_args import beam_args
from pipeline.config import PipelineConfig
from pipeline.runners.beam_flags import settings_from_args
from pipeline.runners.configs import Dataset, cluster_config, load_dataset

# Where pipeline/container/Dockerfile puts the project inside the worker image.
IMAGE_PROJECT_DIR = "/opt/taxi-tfx"
IMAGE_NAME = "taxi-tfx-worker"
_URI = re.compile(r"^[a-z][a-z0-9+.-]*://")


def default_image() -> str:
    """The worker image tag pipeline/container/Dockerfile is built as, by project version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{IMAGE_NAME}:{version('taxi-tfx')}"
    except PackageNotFoundError:
        return f"{IMAGE_NAME}:latest"


class CompileError(ValueError):
    """A flag value the compiled pipeline could not work with."""


def _remote_location(flag: str, value: str) -> str:
    """A URI (gs://, s3://, ...) or an absolute path: what a cluster can resolve."""
    if _URI.match(value) or value.startswith("/"):
        return value.rstrip("/") or "/"
    raise CompileError(
        f"{flag} {value!r}: give a URI the cluster reaches (gs://..., s3://...) or an "
        "absolute path mounted on every worker; a relative path means nothing there."
    )


def _posix_location(flag: str, value: str) -> str:
    # The Pusher renames a staged version directory into place, which
    # needs a POSIX filesystem: object stores have no atomic directory rename.
    if not value.startswith("/"):
        raise CompileError(
            f"{flag} {value!r}: the Pusher renames whole version directories into place, "
            "so it needs an absolute path on a mounted filesystem (e.g. Cloud Storage "
            "FUSE under /gcs/BUCKET/...), not an object-store URI."
        )
    return value.rstrip("/")


def image_schema(dataset: Dataset) -> str:
    """Where a bundled dataset's schema is inside the worker image."""
    import schemas

    package = Path(schemas.__file__).resolve().parent
    try:
        inside = dataset.schema_path.resolve().relative_to(package)
    except ValueError:
        raise CompileError(
            f"{dataset.schema_path} is not a bundled schema: give --schema, its path as the "
            "workers see it."
        ) from None
    return f"{IMAGE_PROJECT_DIR}/schemas/{inside.as_posix()}"


def kubeflow_v2_config(args: argparse.Namespace) -> PipelineConfig:
    """The PipelineConfig a Kubeflow V2 spec is compiled from (paths as the cluster sees them)."""
    dataset = load_dataset(args.dataset)
    pipeline_root = _remote_location("--pipeline-root", args.pipeline_root)
    settings = settings_from_args(args)
    if settings.runner != "direct" and not settings.worker_image:
        # The components already run in this image: Beam workers need the same code.
        settings = dataclasses.replace(settings, worker_image=args.image)
    return cluster_config(
        dataset=dataset,
        pipeline_name=args.pipeline_name,
        pipeline_root=pipeline_root,
        data_root=_remote_location("--data-root", args.data_root),
        schema=_remote_location("--schema", args.schema or image_schema(dataset)),
        serving_dir=_posix_location("--serving-dir", args.serving_dir),
        **({"model_name": args.model_name} if args.model_name else {}),
        train_steps=args.train_steps,
        # The input is not readable here, so DirectRunner gets the large-data defaults.
        beam_args=beam_args(settings, rows=None, cpus=None),
    )


def compile_kubeflow_v2(config: PipelineConfig, image: str, output: Path) -> tuple[Path, Path]:
    """Write the PipelineJob JSON to `output` and the pipeline-spec YAML IR beside it."""
    from tfx import v1 as tfx

    from pipeline.pipeline import create_pipeline

    written = []
    for path in (output, output.with_suffix(".yaml")):
        runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
            config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(default_image=image),
            output_dir=str(path.parent),
            output_filename=path.name,
        )
        # A fresh pipeline object each time: run() mutates its components.
        runner.run(create_pipeline(config), write_out=True)
        written.append(path)
    return written[0], written[1]
