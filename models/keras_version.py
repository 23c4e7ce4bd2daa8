"""Keras 2 (tf-keras) for TensorFlow, TFT and TFMA alike, chosen in one place.

TensorFlow 2.16 makes `tf.keras` Keras 3, while TFT and TFMA build and load
tf-keras objects, and mixing them breaks the exported graph. TensorFlow reads
the choice once, when it is first imported, so every entry point (run_local.py,
`python -m pipeline`, `python -m serving`, the tests, the notebook, a compiled
Airflow DAG) calls `use_keras_2()` before anything imports TensorFlow. The
worker image sets the same variable (pipeline/container/Dockerfile), since
TFX's own entry point runs there before any of this project's code.
"""

from __future__ import annotations

import os

LEGACY_KERAS_VARIABLE = "TF_USE_LEGACY_KERAS"
# TensorFlow's C++ start-up lines (CPU features, missing CUDA) are not for a
# person at a terminal; errors still show. A value set by the caller wins.
LOG_LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
QUIET_LOG_LEVEL = "2"
# A process that only reads finished runs (the report notebook) imports TensorFlow
# for TFMA's readers, and TF 2.16's CUDA build then logs at error level that its
# cuFFT, cuDNN and cuBLAS plugins were registered twice: nothing a reader can act
# on, and what a reader wants to know is in the report itself.
READER_LOG_LEVEL = "3"


def use_keras_2() -> None:
    """Select tf-keras before TensorFlow is imported, and keep TensorFlow's C++ logs quiet."""
    os.environ[LEGACY_KERAS_VARIABLE] = "1"
    os.environ.setdefault(LOG_LEVEL_VARIABLE, QUIET_LOG_LEVEL)


def use_keras_2_for_reading() -> None:
    """`use_keras_2()` for a process that reads runs and trains nothing: TensorFlow's
    C++ logs off entirely (a value set by the caller still wins)."""
    os.environ.setdefault(LOG_LEVEL_VARIABLE, READER_LOG_LEVEL)
    use_keras_2()
