"""The TFX pipeline for a tabular dataset: `create_pipeline(config)` and its configuration.

`create_pipeline` is imported lazily so that light tools (input checks, the
CLI's --help) do not pay for importing TensorFlow.
"""

from pipeline.config import EvalThresholds, PipelineConfig

__all__ = ["EvalThresholds", "PipelineConfig", "create_pipeline"]


def __getattr__(name: str):
    if name == "create_pipeline":
        from pipeline.pipeline import create_pipeline

        return create_pipeline
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")
