"""`python -m pipeline schema update --data-root DIR`: widen the curated schema to new data.

The data gate blocks data the schema does not describe. When the change is
real (a new payment type, say), the schema is what should change, through a
reviewed diff: this command lets TFDV relax the curated schema just enough
to accept the new data (`tfdv.update_schema`), rewrites the file in place
with its header comment kept, and lists the features that changed. Review
with `git diff schemas/`, then commit it, or `git checkout schemas/` to drop it.
Numeric bounds (float_domain, int_domain) are limits no real example crosses,
not a description of the data so far: they are never widened.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from google.protobuf import text_format

from schemas import DEFAULT_DATASET, load_schema, read_dataset
from schemas import schema_path as schema_of

NUMERIC_DOMAINS = ("float_domain", "int_domain")


def add_parser(subparsers) -> None:
    """Register `schema update`."""
    schema = subparsers.add_parser("schema", help="maintain the curated schema")
    actions = schema.add_subparsers(dest="action", required=True, metavar="ACTION")
    update = actions.add_parser(
        "update", help="relax the curated schema so that it accepts the CSV files in --data-root"
    )
    update.add_argument("--data-root", type=Path, required=True, help="folder of CSV files")
    update.add_argument(
        "--dataset",
        default=DEFAULT_DATASET,
        metavar="NAME|FILE",
        help="the dataset whose schema to update (default: %(default)s)",
    )
    update.add_argument(
        "--schema",
        type=Path,
        default=None,
        help="the schema to update in place (default: the dataset's)",
    )
    update.set_defaults(func=_update)


def header_comment(text: str) -> str:
    """The leading `#` lines of a text-format file (text_format drops comments)."""
    lines = []
    for line in text.splitlines(keepends=True):
        if not line.startswith("#"):
            break
        lines.append(line)
    return "".join(lines)


def changed_features(before, after) -> list[str]:
    """Features whose definition, or shared string domain, differs between two schemas."""
    old = {f.name: f for f in before.feature}
    old_domains = {d.name: d for d in before.string_domain}
    changed_domains = {d.name for d in after.string_domain if old_domains.get(d.name) != d}
    return sorted(
        f.name for f in after.feature if old.get(f.name) != f or f.domain in changed_domains
    )


def keep_bounds(before, after) -> list[str]:
    """Put `before`'s numeric bounds back into `after`; the features whose bounds
    the update had widened."""
    bounded = {f.name: f for f in before.feature if f.WhichOneof("domain_info") in NUMERIC_DOMAINS}
    widened = []
    for feature in after.feature:
        original = bounded.get(feature.name)
        if original is None:
            continue
        kind = original.WhichOneof("domain_info")
        if feature.WhichOneof("domain_info") != kind or getattr(feature, kind) != getattr(
            original, kind
        ):
            widened.append(feature.name)
            getattr(feature, kind).CopyFrom(getattr(original, kind))
    return widened


def update_schema(
    schema_path: Path,
    data_root: Path,
    missing_values: tuple[str, ...] = (),
    pattern: str = "*.csv",
) -> list[str]:
    """Rewrite `schema_path` so that it accepts `data_root`'s CSV files; the changed features."""
    import tensorflow_data_validation as tfdv

    from pipeline.inputs import DataError, check_data_root, csv_statistics

    original_text = schema_path.read_text()
    schema = load_schema(schema_path)
    check_data_root(data_root, schema, missing_values, pattern)
    stats = csv_statistics(data_root, missing_values, schema, pattern)
    # Shapes and presence were curated by hand; only domains and ranges widen.
    updated = tfdv.update_schema(schema, stats, infer_feature_shape=False)
    kept = keep_bounds(schema, updated)
    if kept:
        raise DataError(
            f"{data_root} holds values outside the bounds of {', '.join(kept)} in "
            f"{schema_path}. Bounds are limits no real example crosses, so they are never "
            "widened from data: correct or remove those rows, or edit the bound by hand if "
            "it is wrong."
        )
    changed = changed_features(schema, updated)
    if changed:
        body = text_format.MessageToString(updated)
        schema_path.write_text(header_comment(original_text) + body)
    return changed


def _update(args: argparse.Namespace) -> int:
    from models.dataset import DatasetError
    from pipeline.inputs import DataError

    try:
        spec, dataset_path = read_dataset(args.dataset)
        schema_path = args.schema or schema_of(spec, dataset_path)
        changed = update_schema(schema_path, args.data_root, spec.missing_values, spec.file_pattern)
    except (DataError, DatasetError) as e:
        print(f"Input error: {e}")
        return 2
    if not changed:
        print(f"{schema_path} already accepts {args.data_root}; nothing changed.")
        return 0
    print(f"Updated {schema_path}: {', '.join(changed)}.")
    print("Review the change (git diff schemas/), then commit it or discard it (git checkout).")
    return 0
