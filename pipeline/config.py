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
class DriftThresholds:
    """How far a feature's distribution may move before TFDV reports skew or drift.

    Measured on the taxi sample with the comparators below: two samples of
    the same data (train against eval or validation of one run, random
    halves, consecutive slices of 4,000 rows) reach a JS divergence of 0.12
    and an L-infinity of 0.023; fares x10 give a JS divergence of 0.67 and a
    new payment type in a third of the rows an L-infinity of 0.33. The bounds
    sit between the two. TFDV's examples use 0.01, which flags sampling noise
    on splits of a few thousand rows.
    """

    # Numeric features: Jensen-Shannon divergence of the histograms (0..1).
    numeric_jensen_shannon: float = 0.2
    # Categorical features: largest change in any one value's share (0..1).
    categorical_l_infinity: float = 0.1

    def __post_init__(self) -> None:
        for name in ("numeric_jensen_shannon", "categorical_l_infinity"):
            value = getattr(self, name)
            if not 0 < value <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {value}")


@dataclasses.dataclass(frozen=True)
class GateConfig:
    """When the data gate stops a run before Transform and Trainer.

    Every anomaly against the curated schema, an empty split, and skew or
    drift beyond `drift` stop the run, except for features a person has
    reviewed and listed in `allow` (`"*"` accepts everything once).
    """

    allow: tuple[str, ...] = ()
    # A column the schema does not know is not used for training, so by
    # default it is reported but does not stop the run.
    block_new_columns: bool = False
    drift: DriftThresholds = DriftThresholds()
    skew: DriftThresholds = DriftThresholds()
    # Below this many rows on either side, skew and drift are not measured:
    # on a 30-row split of the taxi sample, random sampling alone reaches an
    # L-infinity of 0.12 and a JSD of 0.22, over the thresholds.
    min_rows_to_compare: int = 1000


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
    gate: GateConfig = GateConfig()
    # Fingerprint of the code Transform and Trainer import by name: the TFX
    # cache cannot see source edits otherwise, and would reuse stale outputs.
    code_fingerprint: str = ""
    # Only TFX's built-in resolver strategies, the only kind Kubeflow V2
    # compiles: the baseline is LatestBlessedModelStrategy's and the gate's
    # drift reference LatestArtifactStrategy's. The project's own strategies
    # (pipeline/baseline.py, gate_component.py) skip the current run's own
    # artifacts, so an unchanged local rerun is fully cached; with the
    # built-in ones it evaluates the model against itself.
    builtin_resolvers: bool = False

    def __post_init__(self) -> None:
        if self.train_steps < 1:
            raise ValueError(f"train_steps must be at least 1, got {self.train_steps}")
        names = [name for name, _ in self.splits]
        for required in ("train", "validation", "eval"):
            if required not in names:
                raise ValueError(f"splits must include {required!r}, got {names}")

    @property
    def push_base_directory(self) -> str:
        """`<serving-dir>/<model-name>`: TensorFlow Serving's model base path."""
        return f"{self.serving_dir.rstrip('/')}/{self.model_name}"
