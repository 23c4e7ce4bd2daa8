"""A Pusher whose version directory appears atomically, with warmup requests.

The stock executor copies files straight into `<base>/<version>/`, so
TensorFlow Serving (which polls the base directory) can see a half-copied
version. Here the model is copied into a hidden staging directory beside it
(TF Serving only loads all-digit names), warmup requests built from eval
examples are added, and the directory is renamed into place in one step.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from typing import Any

from absl import logging
from tfx import types
from tfx.components.pusher import executor as pusher_executor
from tfx.dsl.components.base import base_component, executor_spec
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils, component_spec, standard_artifacts, standard_component_specs
from tfx.utils import io_utils, proto_utils

from pipeline import warmup


def next_version(base_directory: str, now: float) -> str:
    """A version number newer than any already in `base_directory`."""
    existing = [int(name) for name in _listdir(base_directory) if name.isdigit()]
    return str(max([int(now), *(v + 1 for v in existing)]))


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []


_STAGING = re.compile(r"^\.staging-\d+-(\d+)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_staging(base_directory: str) -> list[str]:
    """Delete staging folders whose pushing process died (SIGKILL, power loss).

    TF Serving never loads them (their names are not numbers), but each
    holds a full model copy; a live process's folder is left alone.
    """
    removed = []
    for name in _listdir(base_directory):
        match = _STAGING.match(name)
        if match and not _alive(int(match.group(1))):
            shutil.rmtree(os.path.join(base_directory, name), ignore_errors=True)
            removed.append(name)
    return removed


def push_atomically(
    model_path: str,
    base_directory: str,
    version: str,
    prepare: Callable[[str], None] | None = None,
) -> str:
    """Copy `model_path` to `<base_directory>/<version>` so it appears whole.

    `prepare(staging_dir)` may add files (warmup requests) before the rename.
    """
    os.makedirs(base_directory, exist_ok=True)
    remove_stale_staging(base_directory)
    final = os.path.join(base_directory, version)
    staging = os.path.join(base_directory, f".staging-{version}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        try:
            shutil.copytree(model_path, staging)
        except shutil.Error as e:
            # copytree gathers one (source, destination, reason) per failed file.
            reasons = e.args[0] if e.args and isinstance(e.args[0], list) else []
            reason = reasons[0][2] if reasons else str(e)
            raise OSError(f"cannot write {base_directory}: {reason}") from None
        if prepare is not None:
            prepare(staging)
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


EXAMPLES_KEY = "examples"


class PusherSpec(standard_component_specs.PusherSpec):
    """The stock Pusher's spec plus the examples warmup requests are built from."""

    INPUTS = {  # noqa: RUF012 - TFX reads specs from plain class attributes
        **standard_component_specs.PusherSpec.INPUTS,
        EXAMPLES_KEY: component_spec.ChannelParameter(
            type=standard_artifacts.Examples, optional=True
        ),
    }


class AtomicPusherExecutor(pusher_executor.Executor):
    """Pushes a blessed model to a local filesystem base directory atomically."""

    def Do(
        self,
        input_dict: dict[str, list[types.Artifact]],
        output_dict: dict[str, list[types.Artifact]],
        exec_properties: dict[str, Any],
    ) -> None:
        self._log_startup(input_dict, output_dict, exec_properties)
        model_push = artifact_utils.get_single_instance(
            output_dict[standard_component_specs.PUSHED_MODEL_KEY]
        )
        if not self.CheckBlessing(input_dict):
            self._MarkNotPushed(model_push)
            return
        model_path = self.GetModelPath(input_dict)
        destination = pusher_pb2.PushDestination()
        proto_utils.json_to_proto(
            exec_properties[standard_component_specs.PUSH_DESTINATION_KEY], destination
        )
        base_directory = destination.filesystem.base_directory
        examples = input_dict.get(EXAMPLES_KEY)

        def add_warmup(staging: str) -> None:
            if examples:
                uri = artifact_utils.get_single_instance(examples).uri
                logs = warmup.warmup_logs(
                    warmup.read_examples(uri),
                    warmup.signature_inputs(staging),
                    model_name=os.path.basename(base_directory.rstrip("/")),
                )
                warmup.write_warmup(staging, logs)

        version = next_version(base_directory, time.time())
        serving_path = push_atomically(model_path, base_directory, version, add_warmup)
        logging.info("Model pushed to %s.", serving_path)

        # The archive copy under the pipeline root is what lineage points at.
        io_utils.copy_dir(serving_path, model_push.uri)
        self._MarkPushed(model_push, pushed_destination=serving_path, pushed_version=version)


class Pusher(base_component.BaseComponent):
    """Pushes a blessed model to `<base_directory>/<version>/` for TF Serving."""

    SPEC_CLASS = PusherSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(AtomicPusherExecutor)

    def __init__(
        self,
        model: types.BaseChannel,
        model_blessing: types.BaseChannel,
        base_directory: str,
        examples: types.BaseChannel | None = None,
    ) -> None:
        destination = pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=base_directory)
        )
        spec = PusherSpec(
            model=model,
            model_blessing=model_blessing,
            examples=examples,
            push_destination=destination,
            pushed_model=types.Channel(type=standard_artifacts.PushedModel),
        )
        super().__init__(spec=spec)
