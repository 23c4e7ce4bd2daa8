"""Bad CSV input is stopped before the pipeline with a message naming file and column."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from pipeline.fingerprints import data_file_hashes
from pipeline.inputs import DataError, check_data_root


def _write(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.fixture
def sample_rows(sample_csv):
    with sample_csv.open(newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:51]


def _csv(header, rows) -> str:
    return "\n".join(",".join(r) for r in [header, *rows]) + "\n"


def test_the_shipped_sample_passes(schema, sample_csv):
    summary = check_data_root(sample_csv.parent, schema)
    assert summary.rows == 15002
    assert [p.name for p in summary.files] == ["data.csv"]


def test_missing_data_root(schema, tmp_path):
    with pytest.raises(DataError, match=r"--data-root .*nowhere does not exist"):
        check_data_root(tmp_path / "nowhere", schema)


def test_data_root_that_is_a_file(schema, sample_csv):
    with pytest.raises(DataError, match="is not a folder"):
        check_data_root(sample_csv, schema)


def test_empty_folder(schema, tmp_path):
    _write(tmp_path, "notes.txt", "not data")
    with pytest.raises(DataError, match=r"holds no \*\.csv files"):
        check_data_root(tmp_path, schema)


def test_empty_file(schema, tmp_path):
    path = _write(tmp_path, "empty.csv", "")
    with pytest.raises(DataError, match=f"{path}: the file is empty"):
        check_data_root(tmp_path, schema)


def test_header_only(schema, tmp_path, sample_rows):
    header, _ = sample_rows
    path = _write(tmp_path, "data.csv", _csv(header, []))
    with pytest.raises(DataError, match=f"{path}: has a header but no data rows"):
        check_data_root(tmp_path, schema)


def test_missing_columns_are_named(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    drop = {header.index("fare"), header.index("company")}
    keep = lambda r: [v for i, v in enumerate(r) if i not in drop]  # noqa: E731
    path = _write(tmp_path, "data.csv", _csv(keep(header), [keep(r) for r in rows]))
    with pytest.raises(DataError, match=f"{path}: missing column\\(s\\) fare, company"):
        check_data_root(tmp_path, schema)


def test_wrong_type_names_file_column_line_and_value(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    rows = [list(r) for r in rows]
    rows[9][header.index("trip_start_hour")] = "noon"
    path = _write(tmp_path, "data.csv", _csv(header, rows))
    with pytest.raises(
        DataError,
        match=re.escape(
            f"{path}: column 'trip_start_hour' must hold integer values at line 11 (value 'noon')"
        ),
    ):
        check_data_root(tmp_path, schema)


def test_text_in_a_float_column(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    rows = [list(r) for r in rows]
    rows[0][header.index("fare")] = "12.5 EUR"
    _write(tmp_path, "data.csv", _csv(header, rows))
    with pytest.raises(DataError, match="column 'fare' must hold number values at line 2"):
        check_data_root(tmp_path, schema)


def test_empty_required_value(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    rows = [list(r) for r in rows]
    rows[3][header.index("payment_type")] = ""
    rows[3][header.index("fare")] = ""
    _write(tmp_path, "data.csv", _csv(header, rows))
    with pytest.raises(DataError, match="column 'fare' is empty in 1 row"):
        check_data_root(tmp_path, schema)


def test_non_utf8_bytes_name_the_line(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    rows = [list(r) for r in rows]
    rows[6][header.index("company")] = "Caf\udcffe"
    body = _csv(header, rows).encode("utf-8", "surrogateescape")
    path = _write(tmp_path, "data.csv", body)
    with pytest.raises(DataError, match=f"{path}: line 8 holds bytes that are not UTF-8"):
        check_data_root(tmp_path, schema)


def test_truncated_file_names_the_short_line(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    text = _csv(header, rows)
    path = _write(tmp_path, "data.csv", text[: text.rindex("\n", 0, -1) + 20])
    with pytest.raises(
        DataError,
        match=rf"{path}: line {len(rows) + 1} has \d field\(s\) where the header has "
        f"{len(header)}: the file looks truncated",
    ):
        check_data_root(tmp_path, schema)


def test_very_long_line(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    rows = [list(r) for r in rows]
    rows[2][header.index("company")] = "x" * (2 << 20)
    path = _write(tmp_path, "data.csv", _csv(header, rows))
    with pytest.raises(DataError, match=f"{path}: line 4 is 2,097,[0-9]+ bytes long"):
        check_data_root(tmp_path, schema)


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "NaN"])
def test_non_finite_numbers(schema, tmp_path, sample_rows, value):
    header, rows = sample_rows
    rows = [list(r) for r in rows]
    rows[4][header.index("trip_miles")] = value
    path = _write(tmp_path, "data.csv", _csv(header, rows))
    with pytest.raises(
        DataError, match=f"{path}: column 'trip_miles' holds .* at line 6; numbers must be finite"
    ):
        check_data_root(tmp_path, schema)


def test_files_with_different_headers(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    _write(tmp_path, "a.csv", _csv(header, rows))
    _write(tmp_path, "b.csv", _csv([*header, "extra"], [[*r, "1"] for r in rows]))
    with pytest.raises(DataError, match=r"b\.csv: its columns differ from those of a\.csv"):
        check_data_root(tmp_path, schema)


def test_several_files_are_counted(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    _write(tmp_path, "a.csv", _csv(header, rows[:20]))
    _write(tmp_path, "b.csv", _csv(header, rows[20:]))
    assert check_data_root(tmp_path, schema).rows == len(rows)


# --- The CSV standard, as CsvExampleGen reads it -------------------------------------------


def _quoted(header, rows) -> str:
    """`rows` written by Python's csv module: fields with commas, quotes or newlines quoted."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([header, *rows])
    return out.getvalue()


def test_a_quoted_field_may_hold_a_line_break(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    rows = [list(r) for r in rows]
    rows[3][header.index("company")] = 'Taxi "Affiliation"\nServices, Inc.'
    _write(tmp_path, "data.csv", _quoted(header, rows))
    assert check_data_root(tmp_path, schema).rows == len(rows)


def test_a_quote_that_never_closes_names_its_line(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    rows = [list(r) for r in rows]
    rows[5][header.index("company")] = '"Flash Cab'
    path = _write(tmp_path, "data.csv", _csv(header, rows))
    with pytest.raises(DataError, match=f"{path}: line 7 opens a quoted field that is never"):
        check_data_root(tmp_path, schema)


def test_a_byte_order_mark_is_named_with_its_remedy(schema, tmp_path, sample_rows):
    path = _write(tmp_path, "data.csv", b"\xef\xbb\xbf" + _csv(*sample_rows).encode())
    with pytest.raises(DataError, match=f"{path}: starts with a UTF-8 byte-order mark") as e:
        check_data_root(tmp_path, schema)
    assert "sed -i" in str(e.value) and "missing column" not in str(e.value)


@pytest.mark.parametrize("column", ["fare", "company"])  # required, then optional
def test_a_column_named_twice_is_refused_by_name(schema, tmp_path, sample_rows, column):
    header, rows = sample_rows
    first = header.index(column)
    path = _write(tmp_path, "data.csv", _csv([*header, column], [[*r, r[first]] for r in rows]))
    with pytest.raises(
        DataError,
        match=rf"{path}: column '{column}' appears 2 times in the header "
        rf"\(columns {first + 1}, {len(header) + 1}\)",
    ):
        check_data_root(tmp_path, schema)


def test_quoted_header_names_are_refused(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    text = _csv([f'"{h}"' for h in header], rows)
    path = _write(tmp_path, "data.csv", text)
    with pytest.raises(DataError, match=f"{path}: the header quotes column names"):
        check_data_root(tmp_path, schema)


def test_a_header_column_without_a_name(schema, tmp_path, sample_rows):
    header, rows = sample_rows
    path = _write(tmp_path, "data.csv", _csv([*header, ""], [[*r, "1"] for r in rows]))
    with pytest.raises(DataError, match=rf"{path}: column {len(header) + 1} of the header has no"):
        check_data_root(tmp_path, schema)


def test_a_symlinked_file_is_read_where_it_points(schema, tmp_path, sample_rows):
    elsewhere = _write(tmp_path / "elsewhere", "kept.csv", _csv(*sample_rows))
    root = tmp_path / "root"
    root.mkdir()
    (root / "data.csv").symlink_to(elsewhere)
    summary = check_data_root(root, schema)
    assert summary.rows == len(sample_rows[1])
    hashes = data_file_hashes(root, summary.files)
    assert [name for name, _ in hashes] == ["data.csv"]


def test_a_broken_symlink_is_named(schema, tmp_path, sample_rows):
    _write(tmp_path, "a.csv", _csv(*sample_rows))
    (tmp_path / "b.csv").symlink_to(tmp_path / "gone.csv")
    with pytest.raises(DataError, match=r"b\.csv is a symbolic link to .*gone\.csv, which does"):
        check_data_root(tmp_path, schema)
