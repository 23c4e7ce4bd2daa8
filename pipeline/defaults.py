"""What a run uses when nobody says otherwise: names, folders, training length, sample data.

Runners and commands take their defaults from here; `PipelineConfig` does too.
Nothing here reads the environment or touches a file.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from models import layout

PIPELINE_NAME = "taxi"
MODEL_NAME = layout.DEFAULT_MODEL_NAME
# An upper bound: early stopping usually ends training sooner.
TRAIN_STEPS = 2000
SEED = 0

# Generated outputs of local runs, inside the checkout (git-ignored).
OUTPUTS = Path(__file__).resolve().parents[1] / "outputs"
PIPELINE_ROOT = OUTPUTS / "pipeline"
SERVING_DIR = OUTPUTS / "serving"
# ML Metadata of a local run, in SQLite inside its pipeline root.
METADATA_FILE = "metadata.sqlite"


def metadata_path(pipeline_root: str | Path) -> Path:
    """Where a local run keeps ML Metadata for `pipeline_root`."""
    return Path(pipeline_root) / METADATA_FILE


def sample_data_root() -> Path:
    """Folder of the Chicago taxi sample that ships inside the tfx package (15,002 rows)."""
    sample = importlib.resources.files("tfx") / "examples/chicago_taxi_pipeline/data/simple"
    return Path(str(sample))
