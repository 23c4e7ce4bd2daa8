"""`python -m pipeline compile TARGET`: the one `create_pipeline(config)`, compiled for
an engine that runs beyond this machine.

    python -m pipeline compile kubeflow-v2 --output pipeline.json \\
        --pipeline-root gs://BUCKET/taxi --data-root gs://BUCKET/data \\
        --serving-dir /gcs/BUCKET/serving --image REGISTRY/taxi-tfx-worker:TAG
    python -m pipeline compile airflow --output ~/airflow/dags

Kubeflow V2 (Vertex AI Pipelines, Kubeflow Pipelines 2) gets a PipelineJob JSON
and the pipeline-spec YAML IR; Airflow gets TFX's pipeline IR and a DAG module
beside it whose tasks each run one of its nodes (`python -m pipeline run-node`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from models.dataset import DatasetError
from pipeline import defaults
from pipeline.beam_args import BeamArgsError
from pipeline.cli.run import add_tuning_arguments, count_problem
from pipeline.inputs import DataError
from pipeline.runners import airflow, kubeflow_v2
from pipeline.runners.beam_flags import add_beam_arguments
from schemas import DEFAULT_DATASET


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dataset",
        default=DEFAULT_DATASET,
        metavar="NAME|FILE",
        help="a bundled dataset (schemas/NAME/dataset.toml) or a dataset file's path "
        "(default: %(default)s)",
    )
    p.add_argument("--pipeline-name", default=None, help="(default: the dataset's name)")
    p.add_argument(
        "--model-name", default=None, help="(default: the dataset's model_name, else its name)"
    )
    p.add_argument(
        "--train-steps", type=int, default=defaults.TRAIN_STEPS, help="(default: %(default)s)"
    )
    add_beam_arguments(p)


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
        default=kubeflow_v2.default_image(),
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
        default=None,
        help="schema path as workers see it (default: a bundled dataset's, inside the image)",
    )
    _common(kfp)
    kfp.set_defaults(func=_run_kubeflow_v2)

    af = targets.add_parser("airflow", help="a DAG module for Airflow's dags folder")
    af.add_argument("--output", type=Path, required=True, help="folder to write the DAG module to")
    af.add_argument(
        "--pipeline-root",
        default=str(defaults.OUTPUTS / "airflow" / "pipeline"),
        help="(default: %(default)s)",
    )
    af.add_argument("--data-root", default=None, help="(default: the dataset file's data folder)")
    af.add_argument(
        "--serving-dir", default=str(defaults.SERVING_DIR), help="(default: %(default)s)"
    )
    af.add_argument("--schema", default=None, help="(default: the one beside the dataset file)")
    af.add_argument("--schedule", default=None, help="cron or preset; default: triggered by hand")
    add_tuning_arguments(af)
    _common(af)
    af.set_defaults(func=_run_airflow)


def _run_kubeflow_v2(args: argparse.Namespace) -> int:
    try:
        config = kubeflow_v2.kubeflow_v2_config(args)
    except (kubeflow_v2.CompileError, BeamArgsError, DatasetError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    spec, ir = kubeflow_v2.compile_kubeflow_v2(config, args.image, args.output)
    print(f"Wrote {spec} and {ir} (image {args.image})")
    return 0


def _run_airflow(args: argparse.Namespace) -> int:
    problem = count_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        config = airflow.airflow_config(args)
    except (BeamArgsError, DataError, DatasetError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    dag, ir = airflow.compile_airflow(config, args.output, args.schedule)
    print(f"Wrote {dag} and {ir}")
    return 0
