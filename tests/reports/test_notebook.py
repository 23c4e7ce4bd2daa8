"""notebooks/validation_report.ipynb: stored clean, and runs headlessly against a real run."""

from __future__ import annotations

import html as html_text
from pathlib import Path

import nbformat
import pytest

from pipeline.metadata.summary import summarize_latest_run
from pipeline.metadata.verdict import verdict
from reports import html
from reports.section import format_number

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "validation_report.ipynb"
# The report's banner and sections, as the HTML page orders them: the notebook shows each once.
SECTIONS = tuple(build.__module__.rsplit(".", 1)[1] for build in (html.BANNER, *html.SECTIONS))


def _read():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_the_notebook_is_stored_without_outputs():
    notebook = _read()
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source


def test_the_first_code_cell_selects_keras_2_before_any_import_of_tensorflow():
    code = [c.source for c in _read().cells if c.cell_type == "code"]
    assert "use_keras_2_for_reading()" in code[0]
    assert "import reports" not in code[0] and "from reports" not in code[0]


def test_there_is_one_call_per_section():
    code = "\n".join(c.source for c in _read().cells if c.cell_type == "code")
    for section in SECTIONS:
        assert code.count(f"{section}.report(run)") == 1, section


def test_the_verdict_is_the_first_section_shown():
    calls = [
        c.source for c in _read().cells if c.cell_type == "code" and ".report(run)" in c.source
    ]
    assert calls[0] == "verdict.report(run)"


def _stderr(notebook) -> list[str]:
    """Every stream a cell wrote to stderr (warnings, TensorFlow's C++ logs)."""
    return [
        f"{cell.source[:40]!r}: {output.text}"
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "stream" and output.name == "stderr"
    ]


def _with_pipeline_root(notebook, pipeline_root: str):
    """Papermill-style: a cell after the one tagged `parameters` overrides its values."""
    index = next(
        i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])
    )
    notebook.cells.insert(
        index + 1, nbformat.v4.new_code_cell(f"PIPELINE_ROOT = {pipeline_root!r}")
    )
    return notebook


def _html_outputs(notebook) -> dict[str, str]:
    shown = {}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text/html" in output.get("data", {}):
                shown[cell.source.split(".")[0]] = output["data"]["text/html"]
    return shown


@pytest.mark.e2e
def test_the_notebook_shows_the_runs_real_numbers(pipeline_run, tmp_path):
    from nbclient import NotebookClient

    notebook = _with_pipeline_root(_read(), pipeline_run.pipeline_root)
    # Raises CellExecutionError on the first cell that fails.
    NotebookClient(notebook, timeout=600, kernel_name="python3", cwd=str(tmp_path)).execute()
    nbformat.write(notebook, tmp_path / "executed.ipynb")
    assert _stderr(notebook) == []

    shown = _html_outputs(notebook)
    assert set(shown) == set(SECTIONS)
    summary = summarize_latest_run(pipeline_run)
    assert summary.run_id in shown["overview"]
    shown_verdict = verdict(summary)
    assert f'data-kind="{shown_verdict.kind}"' in shown["verdict"]
    assert html_text.escape(shown_verdict.title) in shown["verdict"]
    for split, rows in summary.split_rows.items():
        assert f"<td>{split}</td>" in shown["statistics"]
        assert f"<td>{format_number(rows)}</td>" in shown["statistics"]
    assert f"<td>{format_number(summary.metrics['auc'])}</td>" in shown["evaluation"]
    for section in SECTIONS:
        assert "Not produced by this run" not in shown[section], section
        assert "<script" not in shown[section]
