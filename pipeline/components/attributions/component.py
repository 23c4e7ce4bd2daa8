"""Attributions: the TFX component that explains each trained model on the eval split.

It loads the Trainer's SavedModel, computes permutation importances of the
raw features on eval examples (`models.attributions`) and writes them, with
a background sample for explaining single predictions, as a
`ModelAttributions` artifact (`attributions.json`). The Pusher copies that
file into every version it pushes.
"""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec

from pipeline.components.attributions.artifacts import ModelAttributions
from pipeline.components.attributions.executor import AttributionsExecutor
from pipeline.components.attributions.spec import AttributionsSpec, config_to_json
from pipeline.config import AttributionsConfig


class Attributions(base_component.BaseComponent):
    """Global feature attributions of the trained model on the eval split."""

    SPEC_CLASS = AttributionsSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(AttributionsExecutor)

    def __init__(
        self,
        model: types.BaseChannel,
        examples: types.BaseChannel,
        config: AttributionsConfig,
        seed: int,
    ) -> None:
        spec = AttributionsSpec(
            model=model,
            examples=examples,
            attributions_config=config_to_json(config),
            seed=seed,
            attributions=types.Channel(type=ModelAttributions),
        )
        super().__init__(spec=spec)
