"""A run that failed or stopped early: every section says what is missing and why, none raises."""

from __future__ import annotations

import base64
import datetime
import hashlib
import html as html_text
import re
from pathlib import Path

import pytest

from pipeline import steps as P
from pipeline.metadata.run import NoRunError, Run, Step, open_run
from reports import anomalies, drift, evaluation, html, overview, schema, statistics

STARTED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _run(states: dict[str, str], errors: dict[str, str] | None = None) -> Run:
    steps = {
        name: Step(name, state, STARTED, 1.0, (errors or {}).get(name, ""))
        for name, state in states.items()
    }
    return Run(
        pipeline_root=Path("/nonexistent/pipeline"),
        pipeline_name="taxi",
        run_id="run-1",
        started=STARTED,
        steps=steps,
        outputs={},
        inputs={},
    )


def test_why_missing_names_the_component_and_what_happened():
    run = _run({P.EXAMPLE_GEN: "executed", P.STATISTICS_GEN: "failed", P.TRAINER: "running"})
    assert run.why_missing(P.STATISTICS_GEN) == ("Not produced by this run (StatisticsGen failed).")
    assert run.why_missing(P.EVALUATOR) == "Not produced by this run (Evaluator did not run)."
    assert "Trainer was running" in run.why_missing(P.TRAINER)
    assert "CsvExampleGen recorded no statistics" in run.why_missing(P.EXAMPLE_GEN, "statistics")


@pytest.mark.parametrize(
    "section, component",
    [
        (statistics.report, P.STATISTICS_GEN),
        (schema.report, P.SCHEMA_GEN),
        (anomalies.report, P.EXAMPLE_VALIDATOR),
        (drift.report, P.STATISTICS_GEN),
        (evaluation.report, P.EVALUATOR),
    ],
)
def test_each_section_of_a_failed_run_says_what_was_not_produced(section, component):
    run = _run({P.EXAMPLE_GEN: "executed", P.STATISTICS_GEN: "failed"})
    shown = section(run)
    assert shown.missing, shown
    assert component in shown.missing[0]
    assert "Not produced by this run" in shown._repr_html_()


def test_the_overview_lists_components_that_never_started():
    run = _run({P.EXAMPLE_GEN: "executed", P.STATISTICS_GEN: "failed"})
    steps = overview.report(run).tables["steps"].set_index("component")["state"]
    assert steps[P.EXAMPLE_GEN] == "executed"
    assert steps[P.STATISTICS_GEN] == "failed"
    assert steps[P.PUSHER] == "did not run"
    assert overview.pushed(run) == "Nothing pushed by this run (Pusher did not run)."


def test_the_page_of_a_failed_run_renders_every_section():
    page = html.render(_run({P.EXAMPLE_GEN: "failed"}))
    for anchor in ("run", "statistics", "schema", "anomalies", "drift", "evaluation"):
        assert f'id="{anchor}"' in page
    assert "http://" not in page and "https://" not in page


def test_the_page_opens_with_the_failed_components_error_in_a_red_banner():
    error = "OSError: [Errno 28] No space left on device"
    page = html.render(
        _run({P.EXAMPLE_GEN: "executed", P.STATISTICS_GEN: "failed"}, {P.STATISTICS_GEN: error})
    )
    body = page[page.index("<body") :]
    banner = body.index('<div class="verdict verdict-bad" data-kind="failed">')
    assert banner < body.index("<h1>") < body.index('id="run"')
    assert body.index("Failed at StatisticsGen") > banner
    assert f"StatisticsGen failed: {html_text.escape(error)}" in body
    assert "Nothing new was pushed; the served model is unchanged." in body


def test_every_section_is_in_the_contents_and_folds_without_a_script():
    page = html.render(_run({P.EXAMPLE_GEN: "failed"}))
    anchors = re.findall(r'<h2 id="([^"]+)">', page)
    contents = page[page.index('<nav class="toc"') : page.index("</nav>")]
    assert anchors[0] == "verdict" and len(anchors) == len(html.SECTIONS) + 1
    assert re.findall(r'href="#([^"]+)"', contents) == anchors
    assert page.count('<details class="section" open>') == len(anchors)


def test_the_only_script_is_inline_and_the_page_allows_no_other():
    page = html.render(_run({P.EXAMPLE_GEN: "failed"}))
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
    assert scripts == [("", html.SCRIPT)]
    digest = base64.b64encode(hashlib.sha256(html.SCRIPT.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)[1]
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert "src=" not in re.sub(r'src="data:[^"]*"', "", page)


def test_tables_scroll_inside_their_box():
    page = overview.report(_run({P.EXAMPLE_GEN: "failed"}))._repr_html_()
    assert '<div class="table-wrap"><table' in page


def test_a_section_that_raises_becomes_a_message_not_a_crash(monkeypatch):
    def broken(run):
        raise OSError("artifact unreadable")

    monkeypatch.setattr(html, "SECTIONS", (overview.report, broken))
    built = html.sections(_run({}))
    assert len(built) == 2
    assert built[1].missing == ["This section could not be read: OSError: artifact unreadable"]


def test_no_metadata_store_means_no_run(tmp_path):
    with pytest.raises(NoRunError, match=r"metadata\.sqlite does not exist"):
        open_run(tmp_path)
