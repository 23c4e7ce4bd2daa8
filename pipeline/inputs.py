"""Checks a data root against the curated schema before any component runs.

CsvExampleGen infers column types from the data and Transform fails deep in
Beam when they differ from the schema. Checking the CSV files first turns
that into one message that names the file, the column and the line, and
stops the run before anything is trained or pushed.
"""

from __future__ import annotations

import csv
import dataclasses
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2

CSV_PATTERN = "*.csv"

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


def load_schema(path: str | Path) -> schema_pb2.Schema:
    """Parse a text-format TFMD schema."""
    return text_format.Parse(Path(path).read_text(), schema_pb2.Schema())


def required_columns(schema: schema_pb2.Schema) -> list[str]:
    """Columns every training row must fill (presence min_fraction 1)."""
    return [f.name for f in schema.feature if f.presence.min_fraction >= 1.0]


def csv_files(data_root: str | Path) -> list[Path]:
    """The CSV files CsvExampleGen will read from `data_root`."""
    root = Path(data_root)
    if not root.exists():
        raise DataError(f"--data-root {root} does not exist.")
    if not root.is_dir():
        raise DataError(f"--data-root {root} is not a folder; point it at a folder of CSV files.")
    files = sorted(p for p in root.glob(CSV_PATTERN) if p.is_file())
    if not files:
        raise DataError(f"--data-root {root} holds no {CSV_PATTERN} files.")
    return files


def _header(path: Path) -> list[str]:
    with path.open("rb") as f:
        first_line = f.readline()
    try:
        text = first_line.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: the header is not UTF-8 text ({e.reason}).") from None
    return next(csv.reader([text]), [])


def _line_of_bad_value(path: Path, column: str, type_: int) -> tuple[int, str] | None:
    """First (line number, value) in `column` that does not parse as `type_`."""
    parse = {schema_pb2.INT: int, schema_pb2.FLOAT: float}.get(type_)
    with path.open(newline="", encoding="utf-8", errors="strict") as f:
        reader = csv.DictReader(f)
        try:
            for row in reader:
                value = row.get(column) or ""
                if parse and value.strip():
                    try:
                        parse(value)
                    except ValueError:
                        return reader.line_num, value
        except UnicodeDecodeError:
            return reader.line_num + 1, "<bytes that are not UTF-8>"
    return None


def _read_table(path: Path, header: list[str], schema: schema_pb2.Schema) -> pa.Table:
    types = {f.name: f.type for f in schema.feature if f.name in header}
    options = pa_csv.ConvertOptions(
        column_types={name: _ARROW_TYPES[t] for name, t in types.items()}
    )
    try:
        return pa_csv.read_csv(path, convert_options=options)
    except pa.ArrowInvalid as e:
        match = _ARROW_ERROR.search(str(e))
        if not match:
            raise DataError(f"{path}: cannot be read as CSV: {e}") from None
        column = header[int(match.group(1))]
        type_ = types[column]
        where = _line_of_bad_value(path, column, type_)
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


def _count_checked_rows(path: Path, header: list[str], schema: schema_pb2.Schema) -> int:
    table = _read_table(path, header, schema)
    if table.num_rows == 0:
        raise DataError(f"{path}: has a header but no data rows.")
    for name in required_columns(schema):
        nulls = table.column(name).null_count
        if nulls:
            raise DataError(
                f"{path}: column '{name}' is empty in {nulls} row(s); the schema requires a value."
            )
    return table.num_rows


def check_data_root(data_root: str | Path, schema: schema_pb2.Schema) -> DataSummary:
    """Raise DataError naming the file and column unless the data fits `schema`."""
    files = csv_files(data_root)
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
        rows += _count_checked_rows(path, header, schema)
    return DataSummary(files=tuple(files), rows=rows)
