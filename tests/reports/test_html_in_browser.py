"""The HTML report opens from disk in headless Chromium with networking off."""

from __future__ import annotations

import pytest

from pipeline.metadata.summary import summarize_latest_run
from reports import html

pytestmark = pytest.mark.e2e

SECTION_IDS = ("run", "statistics", "schema", "anomalies", "drift", "evaluation")


def test_the_report_renders_every_section_and_loads_nothing(
    pipeline_run, offline_page, artifacts_dir
):
    path = html.write_report(pipeline_run.pipeline_root, pipeline_name=pipeline_run.pipeline_name)
    summary = summarize_latest_run(pipeline_run)
    offline_page.open(path)
    page = offline_page.page
    page.screenshot(path=str(artifacts_dir / "report.png"), full_page=True)

    for anchor in SECTION_IDS:
        heading = page.locator(f"h2#{anchor}")
        assert heading.is_visible(), anchor
    body = page.inner_text("body")
    assert f"Run {summary.run_id}" in body
    for split, rows in summary.split_rows.items():
        assert f"{rows:,}" in body, split
    assert ("Blessed: yes" if summary.blessed else "Blessed: no") in body
    # Every chart decoded: an <img> that failed to load has no natural size.
    sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(sizes) > 10 and all(width > 0 for width in sizes)
    assert page.eval_on_selector_all("script", "s => s.length") == 0
    assert offline_page.blocked == []
