"""The curated datasets: each folder holds a schema and a dataset file, and this module loads them.

`schemas/<name>/schema.pbtxt` is what validation checks that data against (its
types are the single source of raw dtypes for Transform, the serving
signatures and the clients); `schemas/<name>/dataset.toml` says what to
predict and how each column is used (`models.dataset`). Files are found inside
this package, never relative to the working directory; a dataset can also be
any `dataset.toml` path, with its schema beside it.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2

from models.dataset import DatasetError, DatasetSpec, parse

DEFAULT_DATASET = "taxi"
DATASET_FILE = "dataset.toml"


def bundled() -> tuple[str, ...]:
    """The datasets that ship with the project."""
    root = Path(str(importlib.resources.files(__name__)))
    return tuple(sorted(p.parent.name for p in root.glob(f"*/{DATASET_FILE}")))


def dataset_file(name_or_path: str | Path = DEFAULT_DATASET) -> Path:
    """The dataset file of a bundled dataset's name, or the given path; DatasetError if none."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.is_file():
        if not candidate.is_file():
            raise DatasetError(f"{candidate}: no such dataset file")
        return candidate
    if candidate.is_dir() and (candidate / DATASET_FILE).is_file():
        return candidate / DATASET_FILE
    path = Path(str(importlib.resources.files(__name__) / str(name_or_path) / DATASET_FILE))
    if not path.is_file():
        raise DatasetError(
            f"no dataset {str(name_or_path)!r}: give a bundled one ({', '.join(bundled())}) "
            "or the path of a dataset file (python -m pipeline init writes one)"
        )
    return path


def read_dataset(name_or_path: str | Path = DEFAULT_DATASET) -> tuple[DatasetSpec, Path]:
    """(the parsed, validated spec, its file); DatasetError names the file and the key."""
    import tomli

    path = dataset_file(name_or_path)
    try:
        data = tomli.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise DatasetError(f"{path}: cannot be read ({e})") from None
    except tomli.TOMLDecodeError as e:
        raise DatasetError(f"{path}: not valid TOML ({e})") from None
    return parse(data, str(path)), path


def schema_path(spec: DatasetSpec, dataset_path: Path) -> Path:
    """The curated schema of a dataset: `schema_file`, relative to its dataset file."""
    return (dataset_path.parent / spec.schema_file).resolve()


def data_root(spec: DatasetSpec, dataset_path: Path) -> Path | None:
    """The dataset's default folder of CSV files, or None when the file names none."""
    if spec.data is None:
        return None
    if spec.data.package is not None:
        return Path(str(importlib.resources.files(spec.data.package) / spec.data.path))
    return (dataset_path.parent / spec.data.folder).resolve()


def packaged_schema(name: str = DEFAULT_DATASET) -> Path:
    """The curated schema of a bundled dataset."""
    spec, path = read_dataset(name)
    return schema_path(spec, path)


def load_schema(path: str | Path | None = None) -> schema_pb2.Schema:
    """Parse a text-format TFMD schema (default: the default dataset's)."""
    return text_format.Parse(Path(path or packaged_schema()).read_text(), schema_pb2.Schema())
