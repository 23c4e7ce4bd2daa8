"""The curated schema: what validation checks data against, and the one way to load it.

Committed as text (`schema.pbtxt`) and found inside this package, never relative
to the working directory. Its types are the single source of raw dtypes for
Transform, the serving signatures and the clients.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2

SCHEMA_FILE = "schema.pbtxt"


def packaged_schema() -> Path:
    """The curated schema committed under `schemas/`."""
    return Path(str(importlib.resources.files(__name__) / SCHEMA_FILE))


def load_schema(path: str | Path | None = None) -> schema_pb2.Schema:
    """Parse a text-format TFMD schema (default: the curated one)."""
    return text_format.Parse(Path(path or packaged_schema()).read_text(), schema_pb2.Schema())
