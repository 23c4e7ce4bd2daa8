"""A Pusher whose version directory appears atomically, with warmup requests and a model card.

The stock executor copies files straight into `<base>/<version>/`, so
TensorFlow Serving (which polls the base directory) can see a half-copied
version. Here the model is copied into a hidden staging directory beside it
(`atomic.py`), warmup requests built from eval examples (`warmup.py`), the
model card (`model_card.py`) and the attributions are added, and the
directory is renamed into place in one step.

A model already on disk as some version is not pushed again: a rerun whose
only change is the recorded git commit re-executes the Pusher, and must not
undo a rollback or add a copy of the served model.
"""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts

from pipeline.components.pusher.executor import AtomicPusherExecutor
from pipeline.components.pusher.spec import EVIDENCE_INPUTS, PusherSpec


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
        provenance: str = "",
        dataset: str = "",
        **evidence: types.BaseChannel | None,
    ) -> None:
        """`evidence`: optional channels the model card is built from (`EVIDENCE_INPUTS`)."""
        unknown = set(evidence) - set(EVIDENCE_INPUTS)
        if unknown:
            raise TypeError(f"Pusher got unknown inputs {sorted(unknown)}")
        destination = pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=base_directory)
        )
        spec = PusherSpec(
            model=model,
            model_blessing=model_blessing,
            examples=examples,
            push_destination=destination,
            provenance=provenance or None,
            dataset=dataset or None,
            pushed_model=types.Channel(type=standard_artifacts.PushedModel),
            **evidence,
        )
        super().__init__(spec=spec)
