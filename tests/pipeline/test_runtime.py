"""What the runner records about a run's code and data: git commit, dirty flag, file hashes."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from pipeline.runtime import data_file_hashes, git_state


def test_outside_a_git_checkout_no_commit_is_recorded(tmp_path):
    assert git_state(tmp_path) == ("", False)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_commit_and_uncommitted_changes_of_a_checkout(tmp_path):
    def git(*args):
        return subprocess.run(
            ["git", "-C", str(tmp_path), *args], check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q")
    (tmp_path / "a.py").write_text("x = 1\n")
    git("add", "a.py")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one")
    head = git("rev-parse", "HEAD")
    assert git_state(tmp_path) == (head, False)
    (tmp_path / "a.py").write_text("x = 2\n")
    assert git_state(tmp_path) == (head, True)
    # A subfolder of the checkout reports the same commit.
    (tmp_path / "sub").mkdir()
    assert git_state(tmp_path / "sub")[0] == head


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
