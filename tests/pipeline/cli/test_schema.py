"""`python -m pipeline schema update` widens the curated schema to reviewed new data."""

from __future__ import annotations

import csv
import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli.schema import update_schema
from pipeline.inputs import DataError
from schemas import load_schema, packaged_schema

PROJECT = Path(__file__).resolve().parents[3]


def _bitcoin_trips(sample_csv: Path, folder: Path) -> Path:
    folder.mkdir()
    with sample_csv.open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(itertools.islice(reader, 200))
        header = reader.fieldnames
    for row in rows[::3]:
        row["payment_type"] = "Bitcoin"
    with (folder / "data.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return folder


def test_a_new_payment_type_is_added_to_its_domain_and_nothing_else(sample_csv, tmp_path):
    schema = tmp_path / "schema.pbtxt"
    shutil.copy(packaged_schema(), schema)
    data = _bitcoin_trips(sample_csv, tmp_path / "data")

    assert update_schema(schema, data) == ["payment_type"]

    before, after = load_schema(packaged_schema()), load_schema(schema)
    domain = {d.name: list(d.value) for d in after.string_domain}["payment_type"]
    assert "Bitcoin" in domain
    assert [f for f in before.feature] == [f for f in after.feature]
    assert schema.read_text().startswith(packaged_schema().read_text().split("\n")[0])
    assert update_schema(schema, data) == [], "the updated schema already accepts the data"


def test_the_command_reports_what_changed(sample_csv, tmp_path):
    schema = tmp_path / "schema.pbtxt"
    shutil.copy(packaged_schema(), schema)
    data = _bitcoin_trips(sample_csv, tmp_path / "data")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "schema", "update", "--data-root", str(data),
         "--schema", str(schema)],
        capture_output=True, text=True, timeout=300, cwd=PROJECT,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"Updated {schema}: payment_type." in result.stdout
    assert "git diff schemas/" in result.stdout


def test_bounds_are_never_widened_from_data(sample_csv, tmp_path):
    schema = tmp_path / "schema.pbtxt"
    shutil.copy(packaged_schema(), schema)
    data = _bitcoin_trips(sample_csv, tmp_path / "data")
    text = (data / "data.csv").read_text().splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("fare")] = "1e308"
    (data / "data.csv").write_text("\n".join([*text, ",".join(row)]) + "\n")
    before = schema.read_text()
    with pytest.raises(DataError, match=r"values outside the bounds of fare in .* never widened"):
        update_schema(schema, data)
    assert schema.read_text() == before, "nothing is written"
