"""DataGate: the TFX component that stops a run on bad data, before Transform.

It reads StatisticsGen's statistics, ExampleValidator's anomalies, the
schema and the train split's labels, compares the splits with each other
(skew) and with the last data that passed the gate (drift), and decides with
`decision.py`.

A blocked gate is a *failed* execution whose result message is the
outcome as JSON: TFX records it in ML Metadata, the LocalDagRunner stops,
and nothing downstream (Transform, Trainer, Evaluator, Pusher) runs. A
passed gate publishes a `DataValidation` artifact holding the same JSON;
the next run's drift is measured against the statistics it names.
"""

from __future__ import annotations

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec

from pipeline.components.data_gate.artifacts import DataValidation
from pipeline.components.data_gate.executor import DataGateExecutor
from pipeline.components.data_gate.spec import DataGateSpec, config_to_json
from pipeline.config import GateConfig


class DataGate(base_component.BaseComponent):
    """Stops the pipeline before Transform when the data is not fit to train on."""

    SPEC_CLASS = DataGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(DataGateExecutor)

    def __init__(
        self,
        statistics: types.BaseChannel,
        schema: types.BaseChannel,
        anomalies: types.BaseChannel,
        config: GateConfig,
        previous: types.BaseChannel | None = None,
        examples: types.BaseChannel | None = None,
        dataset: str | None = None,
    ) -> None:
        spec = DataGateSpec(
            statistics=statistics,
            schema=schema,
            anomalies=anomalies,
            previous=previous,
            examples=examples,
            dataset=dataset,
            gate_config=config_to_json(config),
            result=types.Channel(type=DataValidation),
        )
        super().__init__(spec=spec)
