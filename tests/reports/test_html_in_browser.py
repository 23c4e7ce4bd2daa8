"""The HTML report opens from disk in headless Chromium with networking off.

Three runs: the suite's blessed pipeline run, the skewed span the data gate
blocks (tests/reports/conftest.py `drift_runs`) and a run whose StatisticsGen
failed, built in memory (a real failure would cost a pipeline run). With
`--screenshots` the banners and the slice section are saved to
docs/screenshots/ for the README.
"""

from __future__ import annotations

import base64
import datetime
import re
from pathlib import Path

import pandas as pd
import pytest

from pipeline import steps as P
from pipeline.metadata.run import Run, Step
from pipeline.metadata.summary import summarize_latest_run
from pipeline.metadata.verdict import BLESSED, BLOCKED, FAILED, PUSHED
from reports import charts, html
from reports.section import Section

pytestmark = pytest.mark.e2e

SECTION_IDS = ("verdict", "run", "statistics", "schema", "anomalies", "drift", "evaluation")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The banner's colours (reports/section.py), as the browser computes them.
GREEN_EDGE, RED_EDGE = "rgb(27, 127, 59)", "rgb(176, 0, 32)"
STARTED = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
DISK_FULL = "OSError: [Errno 28] No space left on device: '/data/statistics'"


@pytest.fixture(scope="module")
def blessed_page(pipeline_run) -> Path:
    return html.write_report(pipeline_run.pipeline_root, pipeline_name=pipeline_run.pipeline_name)


@pytest.fixture(scope="module")
def blocked_page(drift_runs) -> Path:
    return html.write_report(drift_runs.config.pipeline_root, run_id=drift_runs.skewed_run_id)


def _failed_run(root: Path) -> Run:
    """A run whose StatisticsGen failed with a full disk."""
    return Run(
        pipeline_root=root,
        pipeline_name="taxi",
        run_id="failed-run",
        started=STARTED,
        steps={
            P.EXAMPLE_GEN: Step(P.EXAMPLE_GEN, "executed", STARTED, 3.0),
            P.STATISTICS_GEN: Step(P.STATISTICS_GEN, "failed", STARTED, 1.0, DISK_FULL),
        },
        outputs={},
        inputs={},
    )


@pytest.fixture(scope="module")
def failed_page(tmp_path_factory) -> Path:
    """The page of `_failed_run`."""
    root = tmp_path_factory.mktemp("failed")
    path = root / "index.html"
    path.write_text(html.render(_failed_run(root)), encoding="utf-8")
    return path


@pytest.fixture
def screenshots(request) -> Path | None:
    """docs/screenshots/ when the run was asked to update them (--screenshots)."""
    if not request.config.getoption("--screenshots"):
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def _banner(page) -> dict:
    return page.eval_on_selector(
        ".verdict",
        """b => ({kind: b.dataset.kind, text: b.innerText,
                 edge: getComputedStyle(b).borderLeftColor,
                 first: document.body.firstElementChild.contains(b),
                 above_title: b.getBoundingClientRect().bottom
                   <= document.querySelector("h1").getBoundingClientRect().top})""",
    )


def _save(locator, screenshots: Path | None, name: str, *, hide: str = "") -> None:
    """Screenshot `locator` into `screenshots`, `hide` (a test's temporary directory, no
    reader's business) shown as "…" in the picture only."""
    if screenshots is None:
        return
    if hide:
        locator.evaluate(
            """(element, hide) => {
                 const walk = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
                 while (walk.nextNode()) walk.currentNode.data = walk.currentNode.data
                   .split(hide).join("…");
               }""",
            hide,
        )
    locator.screenshot(path=str(screenshots / name), animations="disabled")
    assert (screenshots / name).stat().st_size < 300_000, name


def test_the_report_renders_every_section_and_loads_nothing(
    pipeline_run, blessed_page, offline_page, artifacts_dir
):
    summary = summarize_latest_run(pipeline_run)
    offline_page.open(blessed_page)
    page = offline_page.page
    page.screenshot(path=str(artifacts_dir / "report.png"), full_page=True)

    for anchor in SECTION_IDS:
        heading = page.locator(f"h2#{anchor}")
        assert heading.is_visible(), anchor
    contents = page.eval_on_selector_all("nav.toc a", "links => links.map(a => a.hash)")
    assert contents == page.eval_on_selector_all("h2[id]", "hs => hs.map(h => '#' + h.id)")
    body = page.inner_text("body")
    assert f"Run {summary.run_id}" in body
    for split, rows in summary.split_rows.items():
        assert f"{rows:,}" in body, split
    assert ("Blessed: yes" if summary.blessed else "Blessed: no") in body
    # Every chart decoded: an <img> that failed to load has no natural size.
    sizes = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(sizes) > 10 and all(width > 0 for width in sizes)
    assert page.eval_on_selector_all("script", "s => s.map(e => e.src)") == [""]
    assert offline_page.blocked == []


def test_a_blessed_run_opens_with_a_green_banner(
    pipeline_run, blessed_page, offline_page, screenshots
):
    summary = summarize_latest_run(pipeline_run)
    offline_page.open(blessed_page)
    banner = _banner(offline_page.page)
    assert banner["kind"] in (PUSHED, BLESSED), "the suite's run clears its thresholds"
    assert banner["first"] and banner["above_title"] and banner["edge"] == GREEN_EDGE
    # The thresholded metrics, each next to its bar.
    assert f"auc {summary.metrics['auc']:.4g} (required >= " in banner["text"]
    assert banner["text"].count("(required ") >= 2
    if banner["kind"] == PUSHED:
        assert f"Pushed: version {summary.pushed_version} -> " in banner["text"]
    where = str(Path(pipeline_run.pipeline_root).parent)
    _save(offline_page.page.locator(".verdict"), screenshots, "banner-blessed.png", hide=where)
    assert offline_page.blocked == []


def test_a_blocked_run_opens_with_the_reason_and_the_command(
    blocked_page, offline_page, screenshots
):
    offline_page.open(blocked_page)
    banner = _banner(offline_page.page)
    assert banner["kind"] == BLOCKED and banner["first"] and banner["edge"] == RED_EDGE
    assert "Blocked by the data gate" in banner["text"]
    assert "DataGate stopped the run: the data is not fit to train on." in banner["text"]
    assert "'payment_type' (schema;" in banner["text"]
    command = offline_page.page.locator(".verdict code").first.inner_text()
    assert command == "--allow-anomalies fare,payment_type"
    _save(offline_page.page.locator(".verdict"), screenshots, "banner-blocked.png")
    assert offline_page.blocked == []


def test_a_failed_run_opens_with_the_component_and_its_error(
    failed_page, offline_page, screenshots
):
    offline_page.open(failed_page)
    banner = _banner(offline_page.page)
    assert banner["kind"] == FAILED and banner["first"] and banner["edge"] == RED_EDGE
    assert "Failed at StatisticsGen" in banner["text"]
    assert f"StatisticsGen failed: {DISK_FULL}" in banner["text"]
    _save(offline_page.page.locator(".verdict"), screenshots, "banner-failed.png")
    assert offline_page.blocked == []


def _column(page, table: str, index: int) -> list[str]:
    return page.eval_on_selector(
        table,
        f"t => Array.from(t.tBodies[0].rows).map(r => r.cells[{index}].innerText.trim())",
    )


def test_clicking_a_header_sorts_the_table_and_a_box_filters_a_long_one(blessed_page, offline_page):
    offline_page.open(blessed_page)
    page = offline_page.page
    steps = "section:has(h2#run) table"
    seconds = page.eval_on_selector_all(
        f"{steps} thead th", "hs => hs.map(h => h.innerText.trim())"
    ).index("seconds")
    header = page.locator(f"{steps} thead th").nth(seconds)

    header.click()
    shown = [float(v.replace(",", "")) for v in _column(page, steps, seconds) if v]
    assert shown == sorted(shown) and len(set(shown)) > 1
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    shown = [float(v.replace(",", "")) for v in _column(page, steps, seconds) if v]
    assert shown == sorted(shown, reverse=True)

    # The train split's statistics: a row per feature, more than a filter box's minimum.
    box = page.locator("section:has(h2#statistics) input.table-filter").first
    table = box.locator("xpath=following-sibling::table[1]")
    total = table.locator("tbody tr").count()
    assert total > html.FILTER_FROM_ROWS
    box.fill("fare")
    visible = table.locator("tbody tr:not([hidden])")
    assert 0 < visible.count() < total
    assert all("fare" in text.lower() for text in visible.all_inner_texts())
    assert offline_page.blocked == []


def test_n_a_stays_last_whichever_way_a_column_is_sorted(offline_page, monkeypatch, tmp_path):
    # A metric undefined on a slice is neither small nor large.
    def slices(run):
        section = Section("Slices", "slices")
        frame = pd.DataFrame({"slice": ["a", "b", "c", "d"], "auc": [0.9, None, 0.7, 0.8]})
        section.table("slices", frame, na_rep="n/a")
        return section

    monkeypatch.setattr(html, "SECTIONS", (slices,))
    path = tmp_path / "index.html"
    path.write_text(html.render(_failed_run(tmp_path)), encoding="utf-8")
    offline_page.open(path)
    header = offline_page.page.locator("section:has(h2#slices) th", has_text="auc")
    table = "section:has(h2#slices) table"
    header.click()
    assert _column(offline_page.page, table, 1) == ["0.7", "0.8", "0.9", "n/a"]
    header.click()
    assert _column(offline_page.page, table, 1) == ["0.9", "0.8", "0.7", "n/a"]
    assert offline_page.blocked == []


def _overlays(page, anchor: str) -> list[str]:
    """The SVG text of every chart in section `anchor`."""
    sources = page.eval_on_selector_all(
        f"section:has(h2#{anchor}) img", "imgs => imgs.map(i => i.src)"
    )
    prefix = "data:image/svg+xml;base64,"
    return [base64.b64decode(s[len(prefix) :]).decode() for s in sources if s.startswith(prefix)]


def _x_edges(svg: str, color: str) -> list[float] | None:
    """The x coordinates of the steps of the series drawn in `color`, or None."""
    match = re.search(rf'<path d="([^"]+)"[^>]*style="fill: none; stroke: {color};', svg)
    if match is None:
        return None
    return sorted({round(float(x), 3) for x in re.findall(r"[ML] ([-\d.]+) ", match[1] + " ")})


def test_the_splits_overlays_share_their_bucket_edges(blessed_page, offline_page):
    offline_page.open(blessed_page)
    first, second = charts.COLORS[:2]
    compared = 0
    for svg in _overlays(offline_page.page, "statistics"):
        train, other = _x_edges(svg, first), _x_edges(svg, second)
        if train and other:
            assert train == other
            compared += 1
    assert compared >= 3, "every numeric feature's chart overlays train and eval"


@pytest.mark.parametrize("width", [900, 400])
def test_nothing_overflows_the_window(blessed_page, blocked_page, offline_browser, width):
    for path in (blessed_page, blocked_page):
        view = offline_browser.page(width=width)
        view.open(path)
        overflow = view.page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0, f"{path.name} is {overflow} px too wide at {width} px"
    assert offline_browser.blocked == []


def test_with_scripts_off_the_page_reads_the_same(blocked_page, offline_browser):
    view = offline_browser.page(scripts=False)
    view.open(blocked_page)
    page = view.page
    assert "DataGate stopped the run" in page.inner_text(".verdict")
    assert page.locator("details.section:not([open])").count() == 0
    for anchor in SECTION_IDS:
        assert page.locator(f"h2#{anchor}").is_visible(), anchor
    assert page.locator("input.table-filter").count() == 0
    assert offline_browser.blocked == []


def test_the_slice_section_in_a_screenshot(blessed_page, offline_browser, screenshots):
    if screenshots is None:
        pytest.skip("--screenshots not given")
    view = offline_browser.page(width=1000, height=1000)
    view.open(blessed_page)
    page = view.page
    slices = page.locator("section:has(h2#evaluation)").get_by_role(
        "heading", name="Slices", exact=True
    )
    top = slices.evaluate("h => h.getBoundingClientRect().top + window.scrollY")
    page.screenshot(
        path=str(screenshots / "slices.png"),
        full_page=True,
        clip={"x": 0, "y": top - 8, "width": 1000, "height": 900},
    )
    assert (screenshots / "slices.png").stat().st_size < 300_000


def _slice_table(feature: str) -> str:
    return f'section:has(h2#evaluation) h3:text-is("By {feature}") + .table-wrap table'


def _leading_number(text: str) -> float | None:
    """The metric of a cell "0.949 (0.91–0.97)" or "0.95"; None for n/a and dashes."""
    match = re.match(r"[-\d.,]+", text)
    return float(match[0].replace(",", "")) if match else None


def test_the_evaluation_shows_curves_and_slices_in_a_fixed_order_with_intervals(
    pipeline_run, blessed_page, offline_page
):
    offline_page.open(blessed_page)
    page = offline_page.page
    svgs = _overlays(page, "evaluation")
    for title, xlabel, ylabel in (
        ("ROC curve", "false positive rate", "true positive rate (recall)"),
        ("Precision-recall curve", "recall", "precision"),
        ("Calibration", "mean predicted probability (bucket)", "share of positives"),
    ):
        assert any(title in s and xlabel in s and ylabel in s for s in svgs), title

    # The configured slicing order (taxi: hour, payment type, company), values by number
    # or by name: the same whatever order TFMA wrote them in.
    headings = page.eval_on_selector_all(
        "section:has(h2#evaluation) h3", "hs => hs.map(h => h.innerText.trim())"
    )
    by = [h for h in headings if h.startswith("By ")]
    assert by == ["By trip_start_hour", "By payment_type", "By company"]
    hours = [int(h) for h in _column(page, _slice_table("trip_start_hour"), 0)]
    assert hours == sorted(hours)
    companies = _column(page, _slice_table("company"), 0)
    assert companies == sorted(companies, key=lambda c: (c.casefold(), c))

    # Each metric with its interval; the baseline column beside AUC.
    table = _slice_table("payment_type")
    columns = page.eval_on_selector_all(
        f"{table} thead th", "hs => hs.map(h => h.innerText.trim())"
    )
    assert columns.index("baseline auc") == columns.index("auc") + 1
    interval = re.compile(r"^\d\.\d{3} \(\d\.\d{2}–\d\.\d{2}\)$")
    aucs = _column(page, table, columns.index("auc"))
    assert all(interval.match(a) or a == "n/a" for a in aucs) and any(map(interval.match, aucs))
    baseline = _column(page, table, columns.index("baseline auc"))
    assert all(b in ("–", "n/a") or _leading_number(b) is not None for b in baseline)

    # Sorting by a column of intervals orders by the metric, n/a last.
    companies_table = _slice_table("company")
    page.locator(f"{companies_table} thead th", has_text=re.compile(r"^auc$")).click()
    cells = _column(page, companies_table, columns.index("auc"))
    numbers = [_leading_number(c) for c in cells]
    known = [n for n in numbers if n is not None]
    assert known == sorted(known) and numbers[: len(known)] == known
    assert offline_page.blocked == []
