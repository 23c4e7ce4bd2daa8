"""Rendered charts kept beside the reports, keyed by what they show.

Every chart in `reports.charts` is a pure function of its arguments, and
drawing is most of what a report costs (docs/benchmarks.md). So a chart is drawn once per set of
arguments and version of the drawing code, and read back after that.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import matplotlib

from reports import charts

CACHE_DIR = Path("reports") / ".charts"


@functools.cache
def _code_version() -> str:
    """Changes whenever the drawing code or matplotlib does, so old SVGs are not reused."""
    code = Path(charts.__file__).read_bytes()
    return hashlib.sha256(code + matplotlib.__version__.encode()).hexdigest()


def _plain(value):
    # numpy scalars (pandas cells) as Python numbers; nothing else is expected.
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"chart argument {value!r} ({type(value).__name__}) is not plain data")


def cache_path(pipeline_root: Path, chart: Callable[..., str], *args) -> Path:
    """Where `chart(*args)` is kept under `pipeline_root`."""
    key = json.dumps([_code_version(), chart.__name__, args], default=_plain)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return Path(pipeline_root) / CACHE_DIR / f"{chart.__name__}-{digest}.svg"


def draw(pipeline_root: Path, chart: Callable[..., str], *args) -> str:
    """`chart(*args)` as SVG text, drawn only if it is not kept yet."""
    path = cache_path(pipeline_root, chart, *args)
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        pass
    svg = chart(*args)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a report drawn at the same time never
        # reads half a file.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(svg, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only root still gets its report, drawn every time
    return svg


def drawer(pipeline_root: Path) -> Callable[..., str]:
    """`draw` bound to one pipeline root, for code that takes a drawing function."""
    return functools.partial(draw, pipeline_root)
