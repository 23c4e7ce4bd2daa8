"""The typed, frozen configuration `create_pipeline` is built from.

Runners (pipeline/runners/) read flags, the dataset file and the environment,
then build one of these; the factory and the components read nothing else.
"""

from __future__ import annotations

import dataclasses

from models.dataset import DatasetSpec

# What the Evaluator and the skill check require before a model is blessed: the
# dataset file's [thresholds], unless a runner says otherwise.
from models.dataset import Thresholds as EvalThresholds
from pipeline import defaults
from pipeline.beam_args import BeamSettings, beam_args

# Deterministic split by hash of each example: 70% train, 10% validation
# (early stopping), 20% eval (the Evaluator's blessing).
DEFAULT_SPLITS = (("train", 7), ("validation", 1), ("eval", 2))
# NumPy takes 32-bit unsigned seeds; the Trainer seeds NumPy, TensorFlow and Python with it.
MAX_SEED = 2**32 - 1

# Small data runs fastest in one process (see benchmarks/ for larger data), with
# the arguments every runner gets: the pickler, and batching that keeps runs
# reproducible (pipeline/beam_args.py).
DEFAULT_BEAM_ARGS = beam_args(BeamSettings(), rows=0)


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


def allowed_anomalies(features: str) -> tuple[str, ...]:
    """The features of `--allow-anomalies a,b` (`*`: every finding), sorted, no blanks."""
    return tuple(sorted({name.strip() for name in features.split(",") if name.strip()}))


def unknown_allowed(features: str, known: list[str]) -> str | None:
    """A message naming a feature of `--allow-anomalies` that is not in `known` (the
    schema's and the data's columns), with the closest column; None when all are known."""
    import difflib

    for name in allowed_anomalies(features):
        if name != "*" and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            return (
                f"--allow-anomalies names '{name}', which is no column of the schema or the "
                f"data: {hint}(columns: {', '.join(dict.fromkeys(known))})"
            )
    return None


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
    # Columns compared for skew and drift (the model's inputs and the label's
    # columns), and those with long right tails, compared on quantile histograms;
    # PipelineConfig fills both in from the dataset.
    compared: tuple[str, ...] = ()
    long_tailed: tuple[str, ...] = ()
    # The dataset's timestamp column (seconds since 1970): a value later than
    # the run's start plus this margin blocks (a wrong unit, year or clock).
    # Two days leave room for data written in any time zone.
    time_feature: str | None = None
    future_margin_seconds: int = 2 * 24 * 3600

    @classmethod
    def for_dataset(cls, spec: DatasetSpec, **settings) -> GateConfig:
        """The gate comparing the dataset's model features and label columns."""
        logged = [name for name, f in spec.features.items() if f.transform == "log"]
        return cls(
            **{
                "compared": (*spec.model_features(), *spec.label_inputs()),
                "long_tailed": (*logged, *spec.label_inputs()),
                "time_feature": spec.time_feature,
                **settings,
            }
        )


@dataclasses.dataclass(frozen=True)
class MonitorConfig:
    """How `python -m pipeline monitor` judges served predictions against the eval split's.

    Skew of the served inputs uses the version's own data gate thresholds
    (`GateConfig.skew`, recorded with the run that trained it); only the
    prediction distribution, which the gate never sees, is judged here.
    """

    # Jensen-Shannon distance (base 2, 0..1) between the served and the eval
    # split's predictions on shared equal-width buckets. Measured on the taxi
    # model with 1,500 served rows against 2,000 eval examples: rows of the
    # training data give 0.05, the same rows with fares x10 0.13 (the inputs'
    # skew check flags those). The bound sits at four times the clean distance.
    prediction_js_distance: float = 0.2
    prediction_buckets: int = 10
    # The eval split is predicted with the served version's SavedModel; this many
    # examples bound the time (a few seconds on two cores).
    eval_examples: int = 2000
    # `python -m pipeline promote`: the canary must have answered at least this
    # many logged requests. Fewer leave its skew unmeasured (the gate's
    # min_rows_to_compare rows) or its prediction histogram too noisy to trust
    # a distance under prediction_js_distance.
    promotion_min_requests: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.prediction_js_distance <= 1:
            raise ValueError(
                f"prediction_js_distance must be in (0, 1], got {self.prediction_js_distance}"
            )
        for name in ("prediction_buckets", "eval_examples", "promotion_min_requests"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


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
    its largest value minus its smallest across that feature's slices
    (regression: of the mean absolute error). The default limits report
    rather than block.
    """

    # Raw features whose slices are compared; None: the dataset file's
    # [fairness] features (PipelineConfig fills them in).
    features: tuple[str, ...] | None = None
    # Compared besides `features` (run_local.py --fairness-slice).
    extra_slice_features: tuple[str, ...] = ()
    # Decision thresholds on the predicted probability.
    thresholds: tuple[float, ...] = (0.3, 0.5, 0.7)
    # Largest allowed gap of the false positive and false negative rates (0..1).
    max_false_positive_rate_gap: float = 0.5
    max_false_negative_rate_gap: float = 0.5
    # Regression: largest allowed gap of the mean absolute error (None: report only).
    max_error_gap: float | None = None
    # Slices with fewer eval examples are listed but left out of the gaps:
    # a rate over a handful of trips is mostly noise.
    min_slice_examples: int = 100
    # True: a gap over its limit keeps the model from being blessed and pushed.
    blocking: bool = False
    # (feature, why its gaps may reflect the data rather than the model): the dataset
    # file's [fairness] caveats, carried to the fairness result that every reader shows.
    caveats: tuple[tuple[str, str], ...] = ()

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
        if self.max_error_gap is not None and self.max_error_gap < 0:
            raise ValueError(f"max_error_gap must be at least 0, got {self.max_error_gap}")

    @property
    def slice_features(self) -> tuple[str, ...]:
        """Every raw feature whose slices are compared, without repeats."""
        return tuple(dict.fromkeys((*(self.features or ()), *self.extra_slice_features)))

    @classmethod
    def from_dataset(cls, spec: DatasetSpec, **overrides) -> FairnessConfig:
        """The dataset file's [fairness] settings, with `overrides` (flags) on top."""
        fairness = spec.fairness
        return cls(
            **{
                "features": fairness.features,
                "thresholds": fairness.thresholds,
                "max_false_positive_rate_gap": fairness.max_false_positive_rate_gap,
                "max_false_negative_rate_gap": fairness.max_false_negative_rate_gap,
                "max_error_gap": fairness.max_error_gap,
                "min_slice_examples": fairness.min_slice_examples,
                "caveats": tuple(fairness.caveats.items()),
                **overrides,
            }
        )


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
    # The resolved dataset (models.dataset.resolve); only runs need it, not
    # configs built to read a finished run back.
    dataset: DatasetSpec | None = None
    model_name: str = defaults.MODEL_NAME
    train_steps: int = defaults.TRAIN_STEPS
    seed: int = defaults.SEED
    splits: tuple[tuple[str, int], ...] = DEFAULT_SPLITS
    beam_args: tuple[str, ...] = DEFAULT_BEAM_ARGS
    enable_cache: bool = True
    # None: the dataset file's [thresholds].
    thresholds: EvalThresholds | None = None
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
        if not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"seed must be between 0 and {MAX_SEED}, got {self.seed}")
        names = [name for name, _ in self.splits]
        for required in ("train", "validation", "eval"):
            if required not in names:
                raise ValueError(f"splits must include {required!r}, got {names}")
        # Frozen: the dataset's defaults are filled in once, here.
        if self.thresholds is None:
            thresholds = self.dataset.thresholds if self.dataset else EvalThresholds()
            object.__setattr__(self, "thresholds", thresholds)
        if self.dataset is not None:
            object.__setattr__(self, "fairness", self._fairness_of_dataset())
        if not self.gate.compared and self.dataset is not None:
            settings = {f.name: getattr(self.gate, f.name) for f in dataclasses.fields(self.gate)}
            del settings["compared"], settings["long_tailed"], settings["time_feature"]
            object.__setattr__(self, "gate", GateConfig.for_dataset(self.dataset, **settings))
        if self.dataset is not None:
            known = self.dataset.model_features()
            unknown = [f for f in self.fairness.slice_features if f not in known]
            if unknown:
                raise ValueError(
                    f"fairness slice features must be model features, got {unknown} "
                    f"(known: {', '.join(known)})"
                )

    def _fairness_of_dataset(self) -> FairnessConfig:
        """`fairness` with the dataset file's features and caveats where it leaves them
        unset (flags and callers that build a FairnessConfig of their own)."""
        filled = {}
        if self.fairness.features is None:
            filled["features"] = self.dataset.fairness.features
        if not self.fairness.caveats:
            filled["caveats"] = tuple(self.dataset.fairness.caveats.items())
        return dataclasses.replace(self.fairness, **filled)

    @property
    def push_base_directory(self) -> str:
        """`<serving-dir>/<model-name>`: TensorFlow Serving's model base path."""
        return f"{self.serving_dir.rstrip('/')}/{self.model_name}"
