"""Beam runner selection: settings -> the `beam_pipeline_args` TFX components run with.

Pure functions (no Beam import, no network): `beam_args(settings, rows=..., cpus=...)`
returns the argument tuple for `PipelineConfig.beam_args`, or raises `BeamArgsError`
with a message a person can act on. The flags that fill `BeamSettings` are in
`pipeline.runners.beam_flags`, shared by run_local.py and `python -m pipeline
compile`, so local runs and compiled specs accept the same flags.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

RUNNERS = ("direct", "portable", "flink", "spark", "dataflow")

# Runners that exist in Beam but must not be used, and why (measured here).
REFUSED_RUNNERS = {
    "dask": (
        "Beam's DaskRunner reports success while CsvExampleGen writes 0 records "
        "(Beam 2.74; on the pinned Beam 2.60 it fails outright), so a run would "
        "silently train on nothing. Use flink or spark for a cluster, or direct."
    ),
}

_BEAM_RUNNER_CLASS = {
    "portable": "PortableRunner",
    "flink": "FlinkRunner",
    "spark": "SparkRunner",
    "dataflow": "DataflowRunner",
}

# DirectRunner: up to this many rows, one in-process worker is fastest (the taxi
# sample, 15k rows, takes longer with worker processes: each one imports
# TensorFlow first). Above it, one process per CPU so Transform's analyzers and
# StatisticsGen use every core. A rule of thumb, documented in docs/scaling.md.
DIRECT_IN_MEMORY_MAX_ROWS = 100_000

# Beam 2.60's PortableRunner puts --job_server_timeout (default 60 s) on the
# job's state stream too, so any Beam job in a component that runs longer
# fails with DEADLINE_EXCEEDED (seen here: Transform on a loaded machine). A day
# bounds only a hung connection; the local runner checks the endpoint first.
PORTABLE_JOB_TIMEOUT_S = 86_400

# Beam 2.60 pickles DoFns with dill by default, and dill sets a logger's level
# on every call, which clears the cache of every logger TensorFlow registered;
# cloudpickle (supported by every runner) makes Transform several times faster
# (docs/benchmarks.md).
PICKLE_LIBRARY = "cloudpickle"

# tfx-bsl batches examples for Transform, TFDV and TFMA with `beam.BatchElements`,
# which by default grows batches by how long each one took: batch boundaries then
# follow the machine's load, and with them the float sums of Transform's
# analyzers (a z-scored fare differed in the 7th digit between two runs on the
# same data, and training amplified it into a different eval result). Batching
# by byte size (at most 8,192 examples a batch) makes the boundaries a function
# of the data. It is an absl flag of tfx-bsl, read where the Beam pipeline is
# built: TFX's Beam executors parse absl flags from their Beam arguments, so it
# travels with them to every orchestrator (Beam itself logs it as unparseable
# and ignores it).
BYTE_SIZE_BATCHING_FLAG = "tfxio_use_byte_size_batching"


class BeamArgsError(ValueError):
    """The Beam flags cannot work together; the message says what to change."""


@dataclasses.dataclass(frozen=True)
class BeamSettings:
    """The runner-related flags, as typed values."""

    runner: str = "direct"
    direct_running_mode: str | None = None
    direct_num_workers: int | None = None
    job_endpoint: str | None = None
    job_server_jar: str | None = None
    worker_pool: str | None = None
    worker_image: str | None = None
    project: str | None = None
    region: str | None = None
    temp_location: str | None = None
    extra: tuple[str, ...] = ()


def direct_defaults(rows: int | None, cpus: int | None) -> tuple[str, int]:
    """DirectRunner (running mode, workers) for `rows` of input on `cpus` cores.

    `rows=None` (a compiled spec, whose data is not readable here) is treated as
    large; `cpus=None` gives 0 workers, which Beam reads as one per CPU of the
    machine the component runs on.
    """
    if rows is not None and rows <= DIRECT_IN_MEMORY_MAX_ROWS:
        return "in_memory", 1
    return "multi_processing", cpus or 0


def option_names(args: tuple[str, ...] | list[str]) -> set[str]:
    """Option names (without dashes) set in Beam-style `--name=value` arguments."""
    names = set()
    for arg in args:
        if arg.startswith("--"):
            names.add(arg[2:].split("=", 1)[0].replace("-", "_"))
    return names


def option_value(args: tuple[str, ...], name: str) -> str | None:
    """The value of Beam-style option `name` (`--name=value` or `--name value`), or None."""
    for i, arg in enumerate(args):
        key, sep, value = arg[2:].partition("=")
        if arg.startswith("--") and key.replace("-", "_") == name:
            if sep:
                return value
            return args[i + 1] if i + 1 < len(args) else ""
    return None


def _refuse(runner: str) -> None:
    name = runner.lower().removesuffix("runner")
    if name in REFUSED_RUNNERS:
        raise BeamArgsError(f"The {name} runner is refused: {REFUSED_RUNNERS[name]}")


def _check_extra(extra: tuple[str, ...]) -> None:
    runner = option_value(extra, "runner")
    if runner is not None:
        _refuse(runner)
        raise BeamArgsError(
            f"--beam-arg=--runner={runner}: choose the runner with --beam-runner "
            f"({'|'.join(RUNNERS)}) so its required settings are checked."
        )


def _direct_args(s: BeamSettings, given: set[str], rows: int | None, cpus: int | None):
    mode, workers = direct_defaults(rows, cpus)
    args = []
    if "direct_running_mode" not in given:
        args.append(f"--direct_running_mode={s.direct_running_mode or mode}")
    if s.direct_num_workers is not None and s.direct_num_workers < 0:
        raise BeamArgsError(
            f"--direct-num-workers must be 0 (one per CPU) or more, got {s.direct_num_workers}"
        )
    if "direct_num_workers" not in given:
        chosen = s.direct_num_workers if s.direct_num_workers is not None else workers
        args.append(f"--direct_num_workers={chosen}")
    return args


def _environment_args(s: BeamSettings, given: set[str]) -> list[str]:
    """Where portable workers run: they must import the project's code.

    Beam's default worker image lacks it, and TFX ships `preprocessing_fn` as
    an extra-package wheel that a bare worker never installs, so Transform
    fails with "No module named ..." on the workers. The default is therefore
    the project's worker image; `--worker-pool` points at running workers
    (Beam's worker_pool_main in an environment with the project installed).
    """
    if s.worker_pool and s.worker_image:
        raise BeamArgsError("Give either --worker-pool or --worker-image, not both.")
    if "environment_type" in given:
        return []
    if s.worker_pool:
        return ["--environment_type=EXTERNAL", f"--environment_config={s.worker_pool}"]
    if not s.worker_image:
        raise BeamArgsError(
            "Portable workers need the project's code: give --worker-image IMAGE "
            "(built from pipeline/container/Dockerfile) or --worker-pool HOST:PORT."
        )
    return ["--environment_type=DOCKER", f"--environment_config={s.worker_image}"]


def _portable_args(s: BeamSettings, given: set[str]) -> list[str]:
    runner = _BEAM_RUNNER_CLASS[s.runner]
    if s.job_endpoint and s.job_server_jar:
        raise BeamArgsError("Give either --job-endpoint or --job-server-jar, not both.")
    if s.job_endpoint or "job_endpoint" in given:
        args = [f"--runner={runner}"]
        if s.job_endpoint:
            args.append(f"--job_endpoint={s.job_endpoint}")
    elif s.job_server_jar and s.runner in ("flink", "spark"):
        jar = Path(s.job_server_jar)
        if not jar.is_file():
            raise BeamArgsError(f"--job-server-jar {jar}: no such file.")
        args = [f"--runner={runner}", f"--{s.runner}_job_server_jar={jar.resolve()}"]
    elif s.job_server_jar:
        raise BeamArgsError(
            "--job-server-jar is engine-specific: use --beam-runner flink or spark with it, "
            "or give the portable runner a running --job-endpoint HOST:PORT."
        )
    else:
        jar_hint = (
            f" or --job-server-jar PATH (Beam's {s.runner} job-server jar)"
            if s.runner in ("flink", "spark")
            else ""
        )
        raise BeamArgsError(
            f"--beam-runner {s.runner} needs --job-endpoint HOST:PORT (a running Beam job "
            f"service){jar_hint}. Without one, Beam would download a job-server jar at run "
            "time, which fails offline and pins an unreviewed binary."
        )
    if "job_server_timeout" not in given:
        args.append(f"--job_server_timeout={PORTABLE_JOB_TIMEOUT_S}")
    return args + _environment_args(s, given)


def _dataflow_args(s: BeamSettings, given: set[str]) -> list[str]:
    values = {"project": s.project, "region": s.region, "temp_location": s.temp_location}
    missing = [
        f"--{name.replace('_', '-')}"
        for name, value in values.items()
        if not value and name not in given
    ]
    if missing:
        raise BeamArgsError(
            "--beam-runner dataflow needs --project, --region and --temp-location "
            f"(a gs:// path); missing: {', '.join(missing)}."
        )
    if s.temp_location and not s.temp_location.startswith("gs://"):
        raise BeamArgsError(f"--temp-location must be a gs:// path, got {s.temp_location!r}.")
    args = ["--runner=DataflowRunner"]
    args += [f"--{name}={value}" for name, value in values.items() if value]
    if "sdk_container_image" not in given:
        if not s.worker_image:
            raise BeamArgsError(
                "Dataflow workers need the project's code: give --worker-image IMAGE "
                "(pipeline/container/Dockerfile, pushed to a registry Dataflow can pull)."
            )
        args.append(f"--sdk_container_image={s.worker_image}")
    return args


def _every_runner_args(given: set[str]) -> list[str]:
    args = []
    if "pickle_library" not in given:
        args.append(f"--pickle_library={PICKLE_LIBRARY}")
    if not given & {BYTE_SIZE_BATCHING_FLAG, f"no{BYTE_SIZE_BATCHING_FLAG}"}:
        args.append(f"--{BYTE_SIZE_BATCHING_FLAG}")
    return args


# Each runner flag, and the runners it applies to.
_FLAG_RUNNERS = {
    "direct_running_mode": ("direct",),
    "direct_num_workers": ("direct",),
    "job_endpoint": ("portable", "flink", "spark"),
    "job_server_jar": ("flink", "spark"),
    "worker_pool": ("portable", "flink", "spark"),
    "worker_image": ("portable", "flink", "spark", "dataflow"),
    "project": ("dataflow",),
    "region": ("dataflow",),
    "temp_location": ("dataflow",),
}


def _check_flags_fit_the_runner(s: BeamSettings) -> None:
    """A flag given for another runner is a mistake (a forgotten --beam-runner), not a no-op."""
    for name, runners in _FLAG_RUNNERS.items():
        if getattr(s, name) is not None and s.runner not in runners:
            flag = "--" + name.replace("_", "-")
            raise BeamArgsError(
                f"{flag} applies to --beam-runner {' or '.join(runners)}, not {s.runner}."
            )


def beam_args(
    settings: BeamSettings, *, rows: int | None = None, cpus: int | None = None
) -> tuple[str, ...]:
    """The Beam pipeline arguments for `settings`, or `BeamArgsError`.

    `rows` is the input size when known (local runs), used to pick DirectRunner
    defaults; `settings.extra` (repeatable `--beam-arg`) always comes last and
    wins over anything chosen here.
    """
    _refuse(settings.runner)
    if settings.runner not in RUNNERS:
        raise BeamArgsError(f"Unknown Beam runner {settings.runner!r}; one of {RUNNERS}.")
    _check_extra(settings.extra)
    given = option_names(settings.extra)
    _check_flags_fit_the_runner(settings)
    if settings.runner == "direct":
        chosen = _direct_args(settings, given, rows, cpus)
    elif settings.runner == "dataflow":
        chosen = _dataflow_args(settings, given)
    else:
        chosen = _portable_args(settings, given)
    return (*chosen, *_every_runner_args(given), *settings.extra)
