"""`python -m pipeline compile TARGET`: the one `create_pipeline(config)`, compiled for
an engine that runs beyond this machine.

    python -m pipeline compile kubeflow-v2 --output pipeline.json \\
        --pipeline-root gs://BUCKET/taxi --data-root gs://BUCKET/data \\
        --serving-dir /gcs/BUCKET/serving --image REGISTRY/taxi-tfx-worker:TAG
    python -m pipeline compile airflow --output ~/airflow/dags

Kubeflow V2 (Vertex AI Pipelines, Kubeflow Pipelines 2) gets a PipelineJob JSON
and the pipeline-spec YAML IR; Airflow gets a DAG module that builds the same
PipelineConfig and calls the same factory when the scheduler parses it.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import re
import sys
from pathlib import Path

from pipeline import beam
from pipeline.config import PipelineConfig

# Where pipeline/container/Dockerfile puts the project inside the worker image.
IMAGE_PROJECT_DIR = "/opt/taxi-tfx"
IMAGE_SCHEMA = f"{IMAGE_PROJECT_DIR}/schemas/schema.pbtxt"
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
    # pipeline/pusher.py renames a staged version directory into place, which
    # needs a POSIX filesystem: object stores have no atomic directory rename.
    if not value.startswith("/"):
        raise CompileError(
            f"{flag} {value!r}: the Pusher renames whole version directories into place, "
            "so it needs an absolute path on a mounted filesystem (e.g. Cloud Storage "
            "FUSE under /gcs/BUCKET/...), not an object-store URI."
        )
    return value.rstrip("/")


def kubeflow_v2_config(args: argparse.Namespace) -> PipelineConfig:
    """The PipelineConfig a Kubeflow V2 spec is compiled from (paths as the cluster sees them)."""
    from pipeline import runtime

    pipeline_root = _remote_location("--pipeline-root", args.pipeline_root)
    settings = beam.settings_from_args(args)
    if settings.runner != "direct" and not settings.worker_image:
        # The components already run in this image: Beam workers need the same code.
        settings = dataclasses.replace(settings, worker_image=args.image)
    return PipelineConfig(
        pipeline_name=args.pipeline_name,
        pipeline_root=pipeline_root,
        data_root=_remote_location("--data-root", args.data_root),
        schema_path=_remote_location("--schema", args.schema),
        serving_dir=_posix_location("--serving-dir", args.serving_dir),
        metadata_path=None,  # Kubeflow and Vertex keep ML Metadata themselves.
        model_name=args.model_name,
        train_steps=args.train_steps,
        # The input is not readable here, so DirectRunner gets the large-data defaults.
        beam_args=beam.beam_args(settings, rows=None, cpus=None),
        code_fingerprint=runtime.code_fingerprint(),
        # Kubeflow V2 compiles only TFX's built-in resolver strategies.
        builtin_resolvers=True,
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


def _render_config(config: PipelineConfig) -> str:
    fields = "".join(
        f"    {f.name}={getattr(config, f.name)!r},\n"
        for f in dataclasses.fields(config)
        if f.name != "code_fingerprint"
    )
    # The code installed where the DAG runs, so that editing it reruns Transform
    # and Trainer instead of reusing their cached outputs.
    return f"PipelineConfig(\n{fields}    code_fingerprint=code_fingerprint(),\n)"


_AIRFLOW_MODULE = '''"""Airflow DAG of the {name} pipeline.

Written by `python -m pipeline compile airflow`.
Regenerate it instead of editing it. It needs the taxi-tfx project installed in
the environment of the Airflow scheduler and workers.
"""

import datetime
import os

# Keras 2 (tf-keras) must be chosen before TensorFlow is first imported, and
# parsing this file imports TensorFlow.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from pipeline.airflow_dag import build_dag  # noqa: E402
from pipeline.config import (  # noqa: E402, F401
    AttributionsConfig,
    DriftThresholds,
    EvalThresholds,
    FairnessConfig,
    GateConfig,
    PipelineConfig,
    Provenance,
    TuningConfig,
)
from pipeline.runtime import code_fingerprint  # noqa: E402

CONFIG = {config}

dag = build_dag(CONFIG, schedule={schedule!r}, start_date={start!r})
'''


def render_airflow_module(
    config: PipelineConfig, schedule: str | None, start_date: datetime.datetime
) -> str:
    """Source of a DAG module that rebuilds `config` and calls `build_dag` on it."""
    return _AIRFLOW_MODULE.format(
        name=config.pipeline_name,
        config=_render_config(config),
        schedule=schedule,
        start=start_date,
    )


def airflow_config(args: argparse.Namespace) -> PipelineConfig:
    """The PipelineConfig an Airflow DAG is compiled from (local or shared paths)."""
    from pipeline import runtime
    from pipeline.inputs import check_data_root, load_schema

    pipeline_root = Path(args.pipeline_root).resolve()
    data_root = Path(args.data_root or runtime.default_data_root()).resolve()
    schema = Path(args.schema or runtime.packaged_schema())
    # The workers read the same paths, so the data can be checked and sized here.
    data = check_data_root(data_root, load_schema(schema))
    return PipelineConfig(
        pipeline_name=args.pipeline_name,
        pipeline_root=str(pipeline_root),
        data_root=str(data_root),
        schema_path=str(runtime.stage_schema(schema, pipeline_root)),
        serving_dir=str(Path(args.serving_dir).resolve()),
        metadata_path=str(pipeline_root / "metadata.sqlite"),
        model_name=args.model_name,
        train_steps=args.train_steps,
        beam_args=beam.beam_args(
            beam.settings_from_args(args), rows=data.rows, cpus=os.cpu_count()
        ),
    )


def compile_airflow(config: PipelineConfig, output_dir: Path, schedule: str | None = None) -> Path:
    """Write `<output_dir>/<pipeline_name>_dag.py`."""
    output_dir.mkdir(parents=True, exist_ok=True)
    path = output_dir / f"{config.pipeline_name.replace('-', '_')}_dag.py"
    source = render_airflow_module(config, schedule, datetime.datetime(2024, 1, 1))
    tmp = path.with_suffix(".tmp")
    tmp.write_text(source)
    # Atomic: the scheduler may parse the folder while it is being written.
    os.replace(tmp, path)
    return path


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pipeline-name", default="taxi", help="(default: %(default)s)")
    p.add_argument("--model-name", default="taxi", help="(default: %(default)s)")
    p.add_argument("--train-steps", type=int, default=2000, help="(default: %(default)s)")
    beam.add_beam_arguments(p)


def add_parser(subparsers) -> None:
    """Register `compile kubeflow-v2` and `compile airflow`."""
    compile_ = subparsers.add_parser(
        "compile",
        help="compile the pipeline for Kubeflow V2 / Vertex AI or Airflow",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    targets = compile_.add_subparsers(dest="target", required=True, metavar="TARGET")

    kfp = targets.add_parser(
        "kubeflow-v2", help="PipelineJob JSON (and the .yaml IR) for Vertex AI / KFP 2"
    )
    kfp.add_argument("--output", type=Path, required=True, help="the .json file to write")
    kfp.add_argument(
        "--image",
        default=default_image(),
        help="worker image with the project installed (pipeline/container/Dockerfile) "
        "(default: %(default)s)",
    )
    kfp.add_argument("--pipeline-root", required=True, metavar="URI", help="e.g. gs://b/taxi")
    kfp.add_argument("--data-root", required=True, metavar="URI", help="folder of CSV files")
    kfp.add_argument(
        "--serving-dir",
        required=True,
        metavar="PATH",
        help="absolute path on the workers where versions are pushed (e.g. /gcs/b/serving)",
    )
    kfp.add_argument(
        "--schema",
        default=IMAGE_SCHEMA,
        help="schema path as workers see it (default: %(default)s)",
    )
    _common(kfp)
    kfp.set_defaults(func=_run_kubeflow_v2)

    af = targets.add_parser("airflow", help="a DAG module for Airflow's dags folder")
    af.add_argument("--output", type=Path, required=True, help="folder to write the DAG module to")
    af.add_argument(
        "--pipeline-root", default="outputs/airflow/pipeline", help="(default: %(default)s)"
    )
    af.add_argument("--data-root", default=None, help="(default: the taxi sample inside tfx)")
    af.add_argument("--serving-dir", default="outputs/serving", help="(default: %(default)s)")
    af.add_argument("--schema", default=None, help="(default: schemas/schema.pbtxt)")
    af.add_argument("--schedule", default=None, help="cron or preset; default: triggered by hand")
    _common(af)
    af.set_defaults(func=_run_airflow)


def _run_kubeflow_v2(args: argparse.Namespace) -> int:
    try:
        config = kubeflow_v2_config(args)
    except (CompileError, beam.BeamArgsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    spec, ir = compile_kubeflow_v2(config, args.image, args.output)
    print(f"Wrote {spec} and {ir} (image {args.image})")
    return 0


def _run_airflow(args: argparse.Namespace) -> int:
    from pipeline.inputs import DataError

    try:
        config = airflow_config(args)
    except (beam.BeamArgsError, DataError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    path = compile_airflow(config, args.output, args.schedule)
    print(f"Wrote {path}")
    return 0
