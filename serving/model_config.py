"""Write one model config file that serves every model pushed to a serving folder.

    python -m serving.model_config outputs/serving                       # to standard output
    python -m serving.model_config outputs/serving --output models.config
    python -m serving.model_config outputs/serving --base-path /models \\
        --output serving/container/models.config                         # for the container
    python -m serving.model_config outputs/serving --request-log-prefix outputs/request_logs \\
        --request-log-sampling-rate 0.1 --output models.config          # local server, logged

Each dataset pushes under its own model name (`<serving-dir>/<model>/<version>/`);
the file names every such folder, so TensorFlow Serving and `python -m serving`
serve them all from one `--model_config_file`, each on its newest version.
With `--request-log-prefix`, every model gets a `logging_config`: only
`python -m serving` writes request logs, and TF Serving's open-source build
refuses such a file (by its source), so never write one for the container.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tensorflow_serving.config import model_server_config_pb2

from models import layout
from serving.config import add_request_logging, write_model_config_file
from serving.options import sampling_rate_error


def served_models(serving_dir: Path) -> list[str]:
    """Model folders under `serving_dir` that hold at least one version, by name."""
    if not serving_dir.is_dir():
        raise FileNotFoundError(f"{serving_dir} is not a folder of pushed models")
    return sorted(p.name for p in serving_dir.iterdir() if layout.version_names(p))


def model_server_config(
    serving_dir: Path,
    base_path: str | None = None,
    request_log_prefix: str | None = None,
    sampling_rate: float = 1.0,
) -> model_server_config_pb2.ModelServerConfig:
    """Every served model, on TF Serving's default policy (the newest version), and
    with a `logging_config` writing to `request_log_prefix` when one is given."""
    config = model_server_config_pb2.ModelServerConfig()
    root = base_path.rstrip("/") if base_path else str(serving_dir.resolve())
    for name in served_models(serving_dir):
        model = config.model_config_list.config.add(
            name=name, base_path=f"{root}/{name}", model_platform="tensorflow"
        )
        if request_log_prefix:
            add_request_logging(model, request_log_prefix, sampling_rate)
    return config


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("serving_dir", type=Path, help="the folder models are pushed to")
    p.add_argument(
        "--base-path", help="the serving folder as the server sees it (default: the folder)"
    )
    p.add_argument("--output", type=Path, help="write here instead of standard output")
    p.add_argument(
        "--request-log-prefix",
        help="log every model's requests under this folder (python -m serving only)",
    )
    p.add_argument(
        "--request-log-sampling-rate",
        type=float,
        default=1.0,
        help="fraction of requests logged, in [0, 1] (default 1)",
    )
    args = p.parse_args(argv)
    error = sampling_rate_error(args.request_log_sampling_rate, "--request-log-sampling-rate")
    if error:
        p.error(error)
    prefix = str(Path(args.request_log_prefix).resolve()) if args.request_log_prefix else None
    try:
        config = model_server_config(
            args.serving_dir, args.base_path, prefix, args.request_log_sampling_rate
        )
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not config.model_config_list.config:
        print(f"error: no pushed model under {args.serving_dir}", file=sys.stderr)
        return 2
    write_model_config_file(config, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
