"""The typed, frozen configuration `create_pipeline` is built from.

Runners (run_local.py, cloud runners) read flags and the environment, then
build one of these; nothing in `pipeline/` reads the environment itself.
"""

from __future__ import annotations

import dataclasses

from models import features as F
from pipeline import defaults
from pipeline.beam_args import BeamSettings, beam_args

# Deterministic split by hash of each example: 70% train, 10% validation
# (early stopping), 20% eval (the Evaluator's blessing).
DEFAULT_SPLITS = (("train", 7), ("validation", 1), ("eval", 2))

# Small data runs fastest in one process (see benchmarks/ for larger data), with
# the arguments every runner gets: the pickler, and batching that keeps runs
# reproducible (pipeline/beam_args.py).
DEFAULT_BEAM_ARGS = beam_args(BeamSettings(), rows=0)


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
class TuningConfig:
    """Whether the Tuner searches hyperparameters before training, and its budget.

    Off by default: the default run stays as fast as before. With it on, the
    Trainer trains with the best trial's hyperparameters.
    """

    enabled: bool = False
    max_trials: int = 2
    # Training steps of each trial (the final Trainer run uses train_steps).
    steps_per_trial: int = 300

    def __post_init__(self) -> None:
        if self.max_trials < 1:
            raise ValueError(f"max_trials must be at least 1, got {self.max_trials}")
        if self.steps_per_trial < 1:
            raise ValueError(f"steps_per_trial must be at least 1, got {self.steps_per_trial}")


@dataclasses.dataclass(frozen=True)
class FairnessConfig:
    """Error-rate gaps between slices that the FairnessCheck reports or blocks on.

    For each slicing feature and decision threshold, the gap of a rate is
    its largest value minus its smallest across that feature's slices. On the
    taxi sample payment types differ by nature (cash tips are not recorded),
    so the default limits report rather than block.
    """

    # Raw features compared besides models.features.FAIRNESS_SLICE_FEATURES.
    extra_slice_features: tuple[str, ...] = ()
    # Decision thresholds on the predicted probability.
    thresholds: tuple[float, ...] = (0.3, 0.5, 0.7)
    # Largest allowed gap of the false positive and false negative rates (0..1).
    max_false_positive_rate_gap: float = 0.5
    max_false_negative_rate_gap: float = 0.5
    # Slices with fewer eval examples are listed but left out of the gaps:
    # a rate over a handful of trips is mostly noise.
    min_slice_examples: int = 100
    # True: a gap over its limit keeps the model from being blessed and pushed.
    blocking: bool = False

    def __post_init__(self) -> None:
        if not self.thresholds or not all(0 < t < 1 for t in self.thresholds):
            raise ValueError(f"thresholds must lie in (0, 1), got {self.thresholds}")
        for name in ("max_false_positive_rate_gap", "max_false_negative_rate_gap"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if self.min_slice_examples < 1:
            raise ValueError(
                f"min_slice_examples must be at least 1, got {self.min_slice_examples}"
            )
        unknown = [f for f in self.extra_slice_features if f not in F.raw_model_features()]
        if unknown:
            raise ValueError(
                f"extra_slice_features must be model features, got {unknown} "
                f"(known: {', '.join(F.raw_model_features())})"
            )

    @property
    def slice_features(self) -> tuple[str, ...]:
        """Every raw feature whose slices are compared, without repeats."""
        return tuple(dict.fromkeys((*F.FAIRNESS_SLICE_FEATURES, *self.extra_slice_features)))


@dataclasses.dataclass(frozen=True)
class AttributionsConfig:
    """How much work global attributions take: examples x features x repeats predictions.

    The ranking of the top features is stable at 2,000 eval examples and 3
    shuffles, which cost a few seconds on two cores (docs/benchmarks.md).
    """

    max_examples: int = 2000
    repeats: int = 3
    # Raw rows kept for explaining single predictions against (`explain`).
    background_rows: int = 64

    def __post_init__(self) -> None:
        for name in ("max_examples", "repeats", "background_rows"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


@dataclasses.dataclass(frozen=True)
class Provenance:
    """What a run was made from, recorded by the runner for lineage and model cards.

    Goes to the Pusher only (not to Transform or Trainer), so a commit that
    leaves models/ alone does not retrain: `code_fingerprint` decides that.
    """

    # `git rev-parse HEAD` of the checkout the runner ran from; "" outside git.
    git_commit: str = ""
    # Uncommitted changes to tracked or new files at run time.
    git_dirty: bool = False
    # (file path relative to data_root, sha256 of its bytes), sorted by path.
    data_files: tuple[tuple[str, str], ...] = ()


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
    model_name: str = defaults.MODEL_NAME
    train_steps: int = defaults.TRAIN_STEPS
    seed: int = defaults.SEED
    splits: tuple[tuple[str, int], ...] = DEFAULT_SPLITS
    beam_args: tuple[str, ...] = DEFAULT_BEAM_ARGS
    enable_cache: bool = True
    thresholds: EvalThresholds = EvalThresholds()
    gate: GateConfig = GateConfig()
    tuning: TuningConfig = TuningConfig()
    fairness: FairnessConfig = FairnessConfig()
    attributions: AttributionsConfig = AttributionsConfig()
    provenance: Provenance = Provenance()
    # Fingerprint of the code Transform and Trainer import by name: the TFX
    # cache cannot see source edits otherwise, and would reuse stale outputs.
    code_fingerprint: str = ""
    # Only TFX's built-in resolver strategies, the only kind Kubeflow V2
    # compiles: the baseline is LatestBlessedModelStrategy's and the gate's
    # drift reference LatestArtifactStrategy's. The project's own strategies
    # (pipeline/components/baseline, data_gate/strategy.py) skip the current run's own
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
