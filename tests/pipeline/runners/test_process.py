"""How a runner process treats the garbage collector: off the long-lived imports, and
no final collection at exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[3]


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
        from pipeline.runners.process import long_lived_imports

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
        from pipeline.runners.process import long_lived_imports

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
        from pipeline.runners.process import exit_without_final_collection

        atexit.register(pathlib.Path({str(marker)!r}).write_text, "yes")
        exit_without_final_collection(3)
        """
    )
    assert done.returncode == 3, done.stderr
    assert marker.read_text() == "yes"
