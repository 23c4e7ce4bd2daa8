"""Runner-side helpers: what a run records about its code and data (git commit, dirty flag,
file hashes), and how its process treats the garbage collector."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipeline.runtime import data_file_hashes, git_state

PROJECT = Path(__file__).resolve().parents[2]


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


def run_python(code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter: the tests below change its garbage collector for good."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_long_lived_imports_pause_collection_then_freeze_what_they_made():
    done = run_python(
        """
        import gc
        from pipeline.runtime import long_lived_imports

        def tracked(obj):
            return any(o is obj for g in range(3) for o in gc.get_objects(generation=g))

        with long_lived_imports():
            print("inside:", gc.isenabled())
            import fractions
            kept = [fractions.Fraction]
        later = [fractions.Fraction]
        print("after:", gc.isenabled(), gc.get_freeze_count() > 0)
        print("collected:", tracked(kept), tracked(later))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "inside: False",
        "after: True True",
        # Frozen objects leave the collector's generations; new ones still enter them.
        "collected: False True",
    ]


def test_long_lived_imports_restore_the_collector_on_error_and_keep_it_off_if_it_was():
    done = run_python(
        """
        import gc
        from pipeline.runtime import long_lived_imports

        try:
            with long_lived_imports():
                import no_such_module_here
        except ImportError as e:
            print("raised:", e.name, gc.isenabled())
        gc.disable()
        with long_lived_imports():
            pass
        print("was off:", gc.isenabled())
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["raised: no_such_module_here True", "was off: False"]


def test_exit_without_final_collection_keeps_the_exit_code_and_exit_handlers(tmp_path):
    marker = tmp_path / "exit-handler-ran"
    done = run_python(
        f"""
        import atexit, pathlib
        from pipeline.runtime import exit_without_final_collection

        atexit.register(pathlib.Path({str(marker)!r}).write_text, "yes")
        exit_without_final_collection(3)
        """
    )
    assert done.returncode == 3, done.stderr
    assert marker.read_text() == "yes"
