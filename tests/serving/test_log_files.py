"""Rotating TFRecord files of request logs: layout, rotation, complete files only."""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

from serving.log_files import IN_PROGRESS_SUFFIX, RecordFiles, RotationLimits


def read_set(folder: Path) -> list[list[bytes]]:
    """Each finished file's records, files in name order."""
    return [
        [r.numpy() for r in tf.data.TFRecordDataset(str(path))]
        for path in sorted(folder.glob("requests-*.tfrecord"))
    ]


def test_one_folder_per_model_and_version(tmp_path):
    files = RecordFiles(RotationLimits(max_bytes=1 << 20))
    files.write(str(tmp_path), "taxi", 1, b"a")
    files.write(str(tmp_path), "taxi", 2, b"b")
    files.write(str(tmp_path), "a/b", 1, b"c")  # a name stays one folder
    files.close_all()

    assert read_set(tmp_path / "taxi" / "1") == [[b"a"]]
    assert read_set(tmp_path / "taxi" / "2") == [[b"b"]]
    assert read_set(tmp_path / "a%2Fb" / "1") == [[b"c"]]


def test_files_rotate_by_size_and_keep_every_record_in_order(tmp_path):
    # 40 bytes of data + 16 of framing: two records fit in 120 bytes, three do not.
    files = RecordFiles(RotationLimits(max_bytes=120))
    records = [bytes([i]) * 40 for i in range(7)]
    for record in records:
        files.write(str(tmp_path), "m", 1, record)
    files.close_all()

    sets = read_set(tmp_path / "m" / "1")
    assert [len(s) for s in sets] == [2, 2, 2, 1]
    assert [r for s in sets for r in s] == records


def test_a_record_larger_than_the_limit_gets_a_file_of_its_own(tmp_path):
    files = RecordFiles(RotationLimits(max_bytes=10))
    for record in (b"x" * 50, b"y" * 50):
        files.write(str(tmp_path), "m", 1, record)
    files.close_all()

    assert read_set(tmp_path / "m" / "1") == [[b"x" * 50], [b"y" * 50]]


def test_files_rotate_by_record_count(tmp_path):
    files = RecordFiles(RotationLimits(max_bytes=1 << 20, max_records=3))
    for i in range(7):
        files.write(str(tmp_path), "m", 1, str(i).encode())
    # Two files are full and closed already; the third is still being written.
    assert [len(s) for s in read_set(tmp_path / "m" / "1")] == [3, 3]
    assert len(list((tmp_path / "m" / "1").glob(f"*{IN_PROGRESS_SUFFIX}"))) == 1
    files.close_all()

    assert [len(s) for s in read_set(tmp_path / "m" / "1")] == [3, 3, 1]
    assert not list(tmp_path.rglob(f"*{IN_PROGRESS_SUFFIX}"))


def test_files_close_when_old_enough(tmp_path):
    now = [100.0]
    files = RecordFiles(RotationLimits(max_bytes=1 << 20, max_seconds=60), clock=lambda: now[0])
    files.write(str(tmp_path), "m", 1, b"a")
    files.close_expired()
    assert read_set(tmp_path / "m" / "1") == []  # still open, under its in-progress name

    now[0] += 60
    files.close_expired()
    assert read_set(tmp_path / "m" / "1") == [[b"a"]]
    files.write(str(tmp_path), "m", 1, b"b")  # a new file
    files.close_all()
    assert read_set(tmp_path / "m" / "1") == [[b"a"], [b"b"]]
