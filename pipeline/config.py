"""The typed, frozen configuration `create_pipeline` is built from.

Runners (run_local.py, cloud runners) read flags and the environment, then
build one of these; nothing in `pipeline/` reads the environment itself.
"""

from __future__ import annotations

import dataclasses

# Deterministic split by hash of each example: 70% train, 10% validation
# (early stopping), 20% eval (the Evaluator's blessing).
DEFAULT_SPLITS = (("train", 7), ("validation", 1), ("eval", 2))

# Small data runs fastest in one process; see benchmarks/ for larger data.
# How the Evaluator's baseline is found. "other-than-candidate" is
# pipeline/baseline.py, so an unchanged rerun is fully cached; "latest-blessed"
# is TFX's LatestBlessedModelStrategy, the only kind Kubeflow V2 compiles
# (an unchanged rerun then evaluates the model against itself).
BASELINE_RESOLVERS = ("other-than-candidate", "latest-blessed")

DEFAULT_BEAM_ARGS = ("--direct_running_mode=in_memory", "--direct_num_workers=1")


@dataclasses.dataclass(frozen=True)
class EvalThresholds:
    """What the Evaluator requires before it blesses a model.

    Always predicting "no big tip" scores accuracy 0.775 and AUC 0.5 on the
    taxi sample, so the bars sit clearly above that.
    """

    min_auc: float = 0.85
    min_accuracy: float = 0.85
    # A candidate may not be worse than the current blessed model by more
    # than this AUC (reruns are not bit-identical across machines).
    max_auc_regression: float = 0.005


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """Everything that defines one pipeline, as plain typed values."""

    pipeline_name: str
    pipeline_root: str
    data_root: str
    schema_path: str
    serving_dir: str
    # ML Metadata in SQLite; None where the orchestrator keeps ML Metadata itself
    # (Kubeflow, Vertex AI), whose workers could not reach a local file anyway.
    metadata_path: str | None
    model_name: str = "taxi"
    train_steps: int = 2000
    seed: int = 0
    splits: tuple[tuple[str, int], ...] = DEFAULT_SPLITS
    beam_args: tuple[str, ...] = DEFAULT_BEAM_ARGS
    enable_cache: bool = True
    thresholds: EvalThresholds = EvalThresholds()
    # Fingerprint of the code Transform and Trainer import by name: the TFX
    # cache cannot see source edits otherwise, and would reuse stale outputs.
    code_fingerprint: str = ""
    baseline_resolver: str = "other-than-candidate"

    def __post_init__(self) -> None:
        if self.train_steps < 1:
            raise ValueError(f"train_steps must be at least 1, got {self.train_steps}")
        if self.baseline_resolver not in BASELINE_RESOLVERS:
            raise ValueError(
                f"baseline_resolver must be one of {BASELINE_RESOLVERS}, "
                f"got {self.baseline_resolver!r}"
            )
        names = [name for name, _ in self.splits]
        for required in ("train", "validation", "eval"):
            if required not in names:
                raise ValueError(f"splits must include {required!r}, got {names}")

    @property
    def push_base_directory(self) -> str:
        """`<serving-dir>/<model-name>`: TensorFlow Serving's model base path."""
        return f"{self.serving_dir.rstrip('/')}/{self.model_name}"
