"""Which earlier data the gate measures drift against: the last data it passed."""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.common import resolver

from pipeline.components.data_gate.artifacts import PASSED_PROPERTY, STATISTICS_ID_PROPERTY
from pipeline.components.data_gate.spec import CANDIDATE_KEY, PREVIOUS_KEY


class PreviousAcceptedStrategy(resolver.ResolverStrategy):
    """The newest gate result that passed on statistics other than the current ones.

    Excluding the current statistics keeps an unchanged rerun fully cached:
    the gate's inputs are the same as last time, not its own last output.
    """

    def resolve_artifacts(
        self, store, input_dict: dict[str, list[types.Artifact]]
    ) -> dict[str, list[types.Artifact]]:
        current = {a.id for a in input_dict.get(CANDIDATE_KEY, [])}
        passed = [
            r
            for r in input_dict.get(PREVIOUS_KEY, [])
            if r.get_int_custom_property(PASSED_PROPERTY) == 1
            and r.get_int_custom_property(STATISTICS_ID_PROPERTY) not in current
        ]
        newest = max(passed, key=lambda r: r.id, default=None)
        return {
            PREVIOUS_KEY: [newest] if newest else [],
            CANDIDATE_KEY: input_dict.get(CANDIDATE_KEY, []),
        }
