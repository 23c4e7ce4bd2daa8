"""FairnessCheck: the TFX component between the Evaluator and the Pusher.

It reads the evaluation (fairness rates per slice, added by
`metrics.with_fairness`) and the blessing so far (the skill check's),
measures the gaps, writes them as a `FairnessResult` artifact
(`fairness.json`), and publishes the blessing the Pusher and the baseline
resolver read: the one it was given, unless a gap breaches its limit and the
check is configured as blocking. A blocked model is
therefore neither pushed nor ever used as a baseline.
"""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts

from pipeline.components.fairness_check.artifacts import FairnessResult
from pipeline.components.fairness_check.executor import FairnessCheckExecutor
from pipeline.components.fairness_check.spec import FairnessCheckSpec, config_to_json
from pipeline.config import FairnessConfig


class FairnessCheck(base_component.BaseComponent):
    """Reports error-rate gaps between slices; withholds the blessing on a blocking breach."""

    SPEC_CLASS = FairnessCheckSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(FairnessCheckExecutor)

    def __init__(
        self,
        model: types.BaseChannel,
        evaluation: types.BaseChannel,
        model_blessing: types.BaseChannel,
        config: FairnessConfig,
    ) -> None:
        spec = FairnessCheckSpec(
            model=model,
            evaluation=evaluation,
            model_blessing=model_blessing,
            fairness_config=config_to_json(config),
            blessing=types.Channel(type=standard_artifacts.ModelBlessing),
            result=types.Channel(type=FairnessResult),
        )
        super().__init__(spec=spec)
