"""Content hashes of the data files a run was made from."""

from __future__ import annotations

import hashlib

from pipeline.fingerprints import data_file_hashes


def test_data_files_are_hashed_by_content_relative_to_the_data_root(tmp_path):
    (tmp_path / "b").mkdir()
    one, two = tmp_path / "b" / "2.csv", tmp_path / "1.csv"
    one.write_bytes(b"fare\n1.0\n")
    two.write_bytes(b"fare\n2.0\n" * 300_000)  # several read chunks
    hashes = data_file_hashes(tmp_path, [one, two])
    assert hashes == (
        ("1.csv", hashlib.sha256(two.read_bytes()).hexdigest()),
        ("b/2.csv", hashlib.sha256(one.read_bytes()).hexdigest()),
    )
