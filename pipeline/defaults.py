"""What a run uses when nobody says otherwise: names, folders, training length, sample data.

Runners and commands take their defaults from here; `PipelineConfig` does too.
Nothing here reads the environment or touches a file.
"""

from __future__ import annotations

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
    """The default dataset's data folder: the Chicago taxi sample inside tfx (15,002 rows)."""
    import schemas

    spec, path = schemas.read_dataset(schemas.DEFAULT_DATASET)
    return schemas.data_root(spec, path)
