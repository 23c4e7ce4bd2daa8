"""SkillCheck: the TFX component between the Evaluator and the FairnessCheck.

It scores the trivial predictor (the train split's positive rate, class
shares or mean, for every example) on the eval split, compares the
candidate's metrics from the evaluation with it (`decision.py`), writes a
`SkillResult` artifact (`skill.json`), and passes the Evaluator's blessing on
only when the candidate beats it by the margin.
"""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts

from pipeline.components.skill_check.artifacts import SkillResult
from pipeline.components.skill_check.executor import SkillCheckExecutor
from pipeline.components.skill_check.spec import SkillCheckSpec


class SkillCheck(base_component.BaseComponent):
    """Withholds the blessing from a model that does not beat the trivial predictor."""

    SPEC_CLASS = SkillCheckSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(SkillCheckExecutor)

    def __init__(
        self,
        model: types.BaseChannel,
        examples: types.BaseChannel,
        evaluation: types.BaseChannel,
        model_blessing: types.BaseChannel,
        margin: float,
    ) -> None:
        spec = SkillCheckSpec(
            model=model,
            examples=examples,
            evaluation=evaluation,
            model_blessing=model_blessing,
            margin=margin,
            blessing=types.Channel(type=standard_artifacts.ModelBlessing),
            result=types.Channel(type=SkillResult),
        )
        super().__init__(spec=spec)
