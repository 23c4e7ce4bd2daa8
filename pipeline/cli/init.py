"""`python -m pipeline init`: start a new dataset from a folder of CSV files.

    python -m pipeline init --data-root DIR --label COLUMN --name NAME [--task TASK]

Writes `schemas/NAME/schema.pbtxt` (inferred by TFDV) and
`schemas/NAME/dataset.toml` (the task, the classes and every column's use,
each choice commented with the reason). Review both, then run
`python run_local.py --dataset NAME`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_REFUSED = 2


def add_parser(subparsers) -> None:
    """Register `init`."""
    p = subparsers.add_parser(
        "init",
        help="start a new dataset: infer its schema and dataset file from CSV files",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--data-root", type=Path, required=True, help="folder of CSV files")
    p.add_argument(
        "--files", default="*.csv", help="which files of the folder (default: %(default)s)"
    )
    p.add_argument("--label", required=True, metavar="COLUMN", help="the column to predict")
    p.add_argument("--name", required=True, help="the dataset's name (also the served model's)")
    p.add_argument(
        "--task",
        choices=["binary", "multiclass", "regression"],
        default=None,
        help="what to predict (default: inferred from the label's values)",
    )
    p.add_argument(
        "--missing-values",
        default=None,
        metavar="TOKENS",
        help="comma-separated cell values that mean missing, e.g. NA,? (default: detected "
        "in numeric columns)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=None,
        help="folder to write both files to (default: schemas/NAME in this project)",
    )
    p.add_argument("--force", action="store_true", help="replace existing files")
    p.set_defaults(func=_init)


def _tokens(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(t.strip() for t in text.split(",") if t.strip())


def _init(args: argparse.Namespace) -> int:
    import schemas
    from pipeline.dataset_init import InitError, draft, write
    from pipeline.inputs import DataError

    folder = args.output or Path(schemas.__file__).resolve().parent / args.name
    try:
        found = draft(
            args.data_root,
            args.label,
            args.name,
            task=args.task,
            missing_values=_tokens(args.missing_values),
            pattern=args.files,
        )
        schema_path, dataset_path = write(found, folder, force=args.force)
    except (InitError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_REFUSED
    classes = f" ({', '.join(found.classes)})" if found.classes else ""
    print(f"Inferred a {found.task} task for {args.label!r}{classes} from {found.rows:,} rows.")
    print(f"Wrote {schema_path}")
    print(f"  and {dataset_path}")
    bundled = folder.resolve() == Path(schemas.__file__).resolve().parent / args.name
    given = args.name if bundled else dataset_path
    print(f"Review both, then run: python run_local.py --dataset {given}")
    return 0
