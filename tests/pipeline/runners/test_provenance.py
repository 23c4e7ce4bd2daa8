"""What a run records about its code: the git commit and whether the checkout was dirty."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pipeline.runners.provenance import git_state


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
