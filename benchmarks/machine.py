"""The machine a benchmark ran on, recorded beside its numbers."""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import platform
from pathlib import Path


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or the platform's processor string."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_info() -> dict:
    """What the numbers depend on."""
    import psutil

    versions = {
        name: importlib.metadata.version(name)
        for name in (
            "tfx",
            "tensorflow",
            "apache-beam",
            "tensorflow-transform",
            "tensorflow-model-analysis",
        )
    }
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        **versions,
    }
