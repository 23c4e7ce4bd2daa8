"""The TFX pipeline for a tabular dataset.

`pipeline.pipeline.create_pipeline(config)` builds it from a
`pipeline.config.PipelineConfig`. This package module imports nothing: its
submodules import each other by name (`from pipeline import steps`), and a
re-export here would make every one of them depend on the whole package.
"""
