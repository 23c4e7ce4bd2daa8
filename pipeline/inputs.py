"""Checks a data root against the curated schema before any component runs.

CsvExampleGen infers column types from the data and Transform fails deep in
Beam when they differ from the schema. Checking the CSV files first turns
that into one message that names the file, the column and the line, and
stops the run before anything is trained or pushed.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from tensorflow_metadata.proto.v0 import schema_pb2

from models.dataset import CSV_PATTERN

# A row of tabular data is a few hundred bytes. A line this long means lost
# line breaks or a corrupt write, and would become one absurd example.
MAX_LINE_BYTES = 1 << 20

_ARROW_TYPES = {
    schema_pb2.INT: pa.int64(),
    schema_pb2.FLOAT: pa.float64(),
    schema_pb2.BYTES: pa.string(),
}
_TYPE_WORDS = {schema_pb2.INT: "integer", schema_pb2.FLOAT: "number", schema_pb2.BYTES: "text"}
_ARROW_ERROR = re.compile(r"In CSV column #(\d+): (?:Row #\d+: )?(.*)")


class DataError(ValueError):
    """The input data cannot be used; the message says where and why."""


@dataclasses.dataclass(frozen=True)
class DataSummary:
    files: tuple[Path, ...]
    rows: int
    columns: tuple[str, ...] = ()  # the header, in file order


def required_columns(schema: schema_pb2.Schema) -> list[str]:
    """Columns every training row must fill (presence min_fraction 1)."""
    return [f.name for f in schema.feature if f.presence.min_fraction >= 1.0]


def csv_files(data_root: str | Path, pattern: str = CSV_PATTERN) -> list[Path]:
    """The CSV files CsvExampleGen will read from `data_root`."""
    root = Path(data_root)
    if not root.exists():
        raise DataError(f"--data-root {root} does not exist.")
    if not root.is_dir():
        raise DataError(f"--data-root {root} is not a folder; point it at a folder of CSV files.")
    matched = sorted(root.glob(pattern))
    broken = [p for p in matched if p.is_symlink() and not p.exists()]
    if broken:
        raise DataError(
            f"{broken[0]} is a symbolic link to {os.readlink(broken[0])}, which does not exist."
        )
    files = [p for p in matched if p.is_file()]
    if not files:
        raise DataError(f"--data-root {root} holds no {pattern} files.")
    return files


def _header(path: Path) -> list[str]:
    """The column names as CsvExampleGen reads them: the first line split at commas.

    TFX does not unquote header names or drop a byte-order mark, so either would
    silently rename a column; both are refused here with the remedy.
    """
    with path.open("rb") as f:
        first_line = f.readline()
    if first_line.startswith(codecs.BOM_UTF8):
        raise DataError(
            f"{path}: starts with a UTF-8 byte-order mark (spreadsheet 'CSV UTF-8' exports add "
            "one), which CsvExampleGen would read as part of the first column's name. Save the "
            f"file as plain UTF-8 CSV, or remove the mark: sed -i '1s/^\\xEF\\xBB\\xBF//' {path}"
        )
    try:
        text = first_line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: the header is not UTF-8 text ({e.reason}).") from None
    names = text.strip().split(",")
    quoted = [n for n in names if '"' in n]
    if quoted:
        raise DataError(
            f"{path}: the header quotes column names ({quoted[0]}); CsvExampleGen reads header "
            "names as written, quotes included. Write them without quotes (and without commas)."
        )
    for position, name in enumerate(names, start=1):
        if not name.strip():
            raise DataError(f"{path}: column {position} of the header has no name.")
        where = [i for i, n in enumerate(names, start=1) if n == name]
        if len(where) > 1:
            raise DataError(
                f"{path}: column '{name}' appears {len(where)} times in the header (columns "
                f"{', '.join(map(str, where))}); rename or remove the copies."
            )
    return names


def _line_of_bad_value(
    path: Path, column: str, type_: int, missing: tuple[str, ...]
) -> tuple[int, str] | None:
    """First (line number, value) in `column` that does not parse as `type_`."""
    parse = {schema_pb2.INT: int, schema_pb2.FLOAT: float}.get(type_)
    with path.open(newline="", encoding="utf-8", errors="strict") as f:
        reader = csv.DictReader(f)
        for row in reader:
            value = row.get(column) or ""
            if parse and value.strip() and value not in missing:
                try:
                    parse(value)
                except ValueError:
                    return reader.line_num, value
    return None


def _records(path: Path):
    """(first line number, text) of each CSV record after the header, as CsvExampleGen
    reads them: physical lines joined while a quoted field is open (an odd number of
    quote characters so far), so a quoted field may hold line breaks."""
    record: list[str] = []
    quotes = 0
    start = 0
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            if len(raw) > MAX_LINE_BYTES:
                raise DataError(
                    f"{path}: line {number} is {len(raw):,} bytes long (the limit is "
                    f"{MAX_LINE_BYTES:,}): are line breaks missing, or was the file corrupted?"
                )
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                raise DataError(
                    f"{path}: line {number} holds bytes that are not UTF-8 ({e.reason} at byte "
                    f"{e.start}); re-export the file as UTF-8."
                ) from None
            if number == 1:
                continue
            if not record:
                start = number
            record.append(text)
            quotes += text.count('"')
            if quotes % 2 == 0:
                yield start, "".join(record)
                record, quotes = [], 0
    if record:
        raise DataError(
            f"{path}: line {start} opens a quoted field that is never closed: the file "
            "looks truncated, or a quote character is not doubled inside a quoted field."
        )


def _check_lines(path: Path, header: list[str]) -> None:
    """Byte-level faults pyarrow reports without a line number.

    Non-UTF-8 bytes, over-long lines and rows with the wrong number of fields
    (a truncated or half-written file) are found record by record here, so the
    message can point at the exact line.
    """
    for number, text in _records(path):
        if not text.strip():
            continue
        fields = next(csv.reader(io.StringIO(text, newline="")), [])
        if len(fields) != len(header):
            raise DataError(
                f"{path}: line {number} has {len(fields)} field(s) where the header has "
                f"{len(header)}: the file looks truncated or half-written."
            )


def _read_table(
    path: Path, header: list[str], schema: schema_pb2.Schema, missing: tuple[str, ...]
) -> pa.Table:
    types = {f.name: f.type for f in schema.feature if f.name in header}
    # Only an empty cell and the dataset's tokens are missing, as for its
    # ExampleGen; pyarrow's default would also read "nan" or "NA" as missing
    # and hide them from the checks.
    options = pa_csv.ConvertOptions(
        column_types={name: _ARROW_TYPES[t] for name, t in types.items()},
        null_values=["", *missing],
        strings_can_be_null=True,
    )
    try:
        return pa_csv.read_csv(
            path,
            convert_options=options,
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        )
    except pa.ArrowInvalid as e:
        match = _ARROW_ERROR.search(str(e))
        if not match:
            raise DataError(f"{path}: cannot be read as CSV: {e}") from None
        column = header[int(match.group(1))]
        type_ = types[column]
        where = _line_of_bad_value(path, column, type_, missing)
        at = f" at line {where[0]} (value {where[1]!r})" if where else ""
        raise DataError(
            f"{path}: column '{column}' must hold {_TYPE_WORDS[type_]} values{at}: "
            f"{match.group(2)}."
        ) from None


def _checked_header(path: Path, schema: schema_pb2.Schema) -> list[str]:
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (no header, no rows).")
    header = _header(path)
    missing = [f.name for f in schema.feature if f.name not in header]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(missing)} that the schema expects.")
    return header


def _check_finite(path: Path, table: pa.Table, schema: schema_pb2.Schema) -> None:
    for feature in schema.feature:
        if feature.type != schema_pb2.FLOAT or feature.name not in table.column_names:
            continue
        column = table.column(feature.name)
        bad = pc.invert(pc.fill_null(pc.is_finite(column), True))
        if pc.any(bad).as_py():
            row = pc.index(bad, True).as_py()
            raise DataError(
                f"{path}: column '{feature.name}' holds {column[row].as_py()} at line {row + 2}; "
                "numbers must be finite (leave the cell empty for a missing value)."
            )


def _count_checked_rows(
    path: Path, header: list[str], schema: schema_pb2.Schema, missing: tuple[str, ...]
) -> int:
    _check_lines(path, header)
    table = _read_table(path, header, schema, missing)
    if table.num_rows == 0:
        raise DataError(f"{path}: has a header but no data rows.")
    for name in required_columns(schema):
        nulls = table.column(name).null_count
        if nulls:
            raise DataError(
                f"{path}: column '{name}' is empty in {nulls} row(s); the schema requires a value."
            )
    _check_finite(path, table, schema)
    return table.num_rows


def check_data_root(
    data_root: str | Path,
    schema: schema_pb2.Schema,
    missing_values: tuple[str, ...] = (),
    pattern: str = CSV_PATTERN,
) -> DataSummary:
    """Raise DataError naming the file and column unless the data fits `schema`.

    Empty cells and cells holding one of `missing_values` are missing values.
    """
    files = csv_files(data_root, pattern)
    first_header = None
    rows = 0
    for path in files:
        header = _checked_header(path, schema)
        if first_header is None:
            first_header = header
        elif header != first_header:
            raise DataError(
                f"{path}: its columns differ from those of {files[0].name}; "
                "all CSV files of a data root must share one header."
            )
        rows += _count_checked_rows(path, header, schema, tuple(missing_values))
    return DataSummary(files=tuple(files), rows=rows, columns=tuple(first_header or ()))


def csv_statistics(
    data_root: str | Path,
    missing_values: tuple[str, ...] = (),
    schema=None,
    pattern: str = CSV_PATTERN,
):
    """TFDV statistics of `data_root`'s CSV files, read as ExampleGen reads them.

    Cells holding one of `missing_values` count as missing (TFDV's CSV reader
    knows only empty cells, so the files are read through blanked copies).
    With `schema`, columns get the schema's types instead of inferred ones.
    """
    import tempfile

    import tensorflow_data_validation as tfdv

    options = tfdv.StatsOptions(schema=schema, infer_type_from_schema=schema is not None)
    files = csv_files(data_root, pattern)
    if not missing_values:
        return tfdv.generate_statistics_from_csv(
            str(Path(data_root) / pattern), stats_options=options
        )
    tokens = set(missing_values)
    with tempfile.TemporaryDirectory() as scratch:
        for i, path in enumerate(files):
            with (
                path.open(newline="", encoding="utf-8") as src,
                open(Path(scratch) / f"{i:05d}.csv", "w", newline="", encoding="utf-8") as dst,
            ):
                writer = csv.writer(dst)
                for number, row in enumerate(csv.reader(src)):
                    writer.writerow(row if number == 0 else ["" if c in tokens else c for c in row])
        return tfdv.generate_statistics_from_csv(
            str(Path(scratch) / CSV_PATTERN), stats_options=options
        )
