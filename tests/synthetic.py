"""A tabular dataset the project has never seen, generated for each task.

Numbers (one with a long right tail), text categories, a small integer code, an
identifier, missing cells (empty and "NA"), and a label that depends on them:
"bad"/"good" (binary), "low"/"mid"/"high" (multi-class) or a number
(regression). Nothing here names a taxi column: tests run `pipeline init` and
then the whole pipeline on it.
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

LABEL = "outcome"
TASKS = ("binary", "multiclass", "regression")
CLASSES = {"binary": ("bad", "good"), "multiclass": ("high", "low", "mid")}
# Columns and what `init` should make of them.
NUMERIC = "size"  # roughly normal: z-score
LONG_TAILED = "weight"  # log-normal: log
CODE = "grade"  # integers 0..4: index
CATEGORY = "colour"  # text: vocabulary
GROUP = "region"  # text, two values: a slice and a fairness feature
IDENTIFIER = "record_id"  # distinct in every row: left out
MISSING_TOKEN = "NA"


def _score(size: float, weight: float, colour: str, grade: int) -> float:
    return (
        (size - 10.0) / 3.0
        + 1.2 * (colour == "red")
        - 0.8 * (colour == "blue")
        + 0.6 * (grade - 2)
        + 0.5 * math.log1p(weight)
    )


def rows(task: str, count: int = 1200, seed: int = 7) -> list[dict[str, str]]:
    """`count` rows with a learnable label for `task` (binary, multiclass, regression)."""
    rng = random.Random(seed)
    out = []
    scores = []
    for i in range(count):
        size = rng.gauss(10.0, 3.0)
        weight = rng.lognormvariate(1.5, 1.0)
        colour = rng.choice(["red", "green", "blue", "green"])
        grade = rng.randint(0, 4)
        score = _score(size, weight, colour, grade) + rng.gauss(0.0, 0.4)
        scores.append(score)
        out.append(
            {
                IDENTIFIER: f"r{i:05d}-{rng.randrange(10**6)}",
                NUMERIC: MISSING_TOKEN if i % 23 == 0 else f"{size:.3f}",
                LONG_TAILED: "" if i % 31 == 0 else f"{weight:.3f}",
                CATEGORY: "" if i % 37 == 0 else colour,
                CODE: str(grade),
                GROUP: rng.choice(["north", "south"]),
            }
        )
    ordered = sorted(scores)
    low, high = ordered[len(ordered) // 3], ordered[2 * len(ordered) // 3]
    for row, score in zip(out, scores, strict=True):
        if task == "binary":
            row[LABEL] = "good" if score > ordered[len(ordered) // 2] else "bad"
        elif task == "multiclass":
            row[LABEL] = "low" if score < low else ("mid" if score < high else "high")
        else:
            row[LABEL] = f"{20.0 + 5.0 * score:.3f}"
    return out


def write(folder: Path, task: str, count: int = 1200, seed: int = 7) -> Path:
    """Write `data.csv` with `rows(task, ...)` into `folder`; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    data = rows(task, count, seed)
    with (folder / "data.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, list(data[0]))
        writer.writeheader()
        writer.writerows(data)
    return folder
