"""Runs and a browser for the report tests."""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
# Kept after the run for a person to look at (git-ignored).
ARTIFACTS = PROJECT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
DRIFT_ROWS = 3000
# Headless, no background traffic of the browser's own (updates, sync, safe browsing).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


@pytest.fixture(scope="session")
def report_run(pipeline_run):
    """The newest run of the suite's pipeline, opened through ML Metadata."""
    from pipeline.metadata.run import open_run

    return open_run(pipeline_run.pipeline_root, pipeline_name=pipeline_run.pipeline_name)


def _data_only_run(config) -> None:
    """The project pipeline, stopped after its data components and its DataGate (which
    stops a span it does not accept, as in a real run; its decision is recorded)."""
    from tfx import v1 as tfx
    from tfx.orchestration.pipeline import RunOptions

    from pipeline import steps as P
    from pipeline.pipeline import create_pipeline

    # As in pipeline.runners.local.run_pipeline: Beam must not parse pytest's flags.
    argv = sys.argv
    sys.argv = argv[:1]
    try:
        tfx.orchestration.LocalDagRunner().run(
            create_pipeline(config), run_options=RunOptions(to_nodes=[P.DATA_GATE])
        )
    except Exception:  # TFX's launcher raises a private error type for a failed step
        from pipeline.metadata.run import open_run

        if open_run(config.pipeline_root).gate is None:
            raise  # something else failed: the gate decided nothing
        # The gate blocked this span; the tests read what it recorded.
    finally:
        sys.argv = argv


@dataclasses.dataclass(frozen=True)
class DriftRuns:
    config: object  # PipelineConfig of the skewed run
    first_run_id: str
    skewed_run_id: str


@pytest.fixture(scope="session")
def drift_runs(tmp_path_factory, sample_rows, trip_skew, csv_writer) -> DriftRuns:
    """Two data-only runs in one metadata store: a sample span, then a skewed copy of it."""
    from pipeline.metadata.run import open_run
    from pipeline.runners.configs import local_config
    from schemas import packaged_schema

    root = tmp_path_factory.mktemp("drift")
    rows = sample_rows[:DRIFT_ROWS]
    run_ids = []
    for name, span in (("span-1", rows), ("span-2", trip_skew.apply(rows))):
        csv_writer(root / name / "trips.csv", span)
        config = local_config(
            pipeline_name="taxi-drift",
            pipeline_root=root / "pipeline",
            data_root=root / name,
            schema=packaged_schema(),
            serving_dir=root / "serving",
        )
        _data_only_run(config)
        run_ids.append(open_run(config.pipeline_root).run_id)
    return DriftRuns(config=config, first_run_id=run_ids[0], skewed_run_id=run_ids[1])


@dataclasses.dataclass
class OfflinePage:
    """A Chromium page that may load file:// URLs only; every other request is recorded."""

    page: object
    blocked: list[str]

    def open(self, path: Path) -> None:
        self.page.goto(path.as_uri(), wait_until="load")


class OfflineBrowser:
    """Headless Chromium contexts with networking off, one per width and script setting;
    every request a page makes that is not a file:// or data: URL lands in `blocked`."""

    def __init__(self, playwright, profiles: Path):
        self._playwright = playwright
        self._profiles = profiles
        self._contexts: list = []
        self.blocked: list[str] = []

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _seen(self, request) -> None:
        # Requests the router may not see (e.g. preconnects) show up here.
        if not request.url.startswith(("file://", "data:")):
            self.blocked.append(request.url)

    def page(self, *, width: int = 1400, height: int = 900, scripts: bool = True) -> OfflinePage:
        context = self._playwright.chromium.launch_persistent_context(
            str(self._profiles / str(len(self._contexts))),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height},
            service_workers="block",
            java_script_enabled=scripts,
        )
        self._contexts.append(context)
        context.route("**/*", self._route)
        page = context.new_page()
        page.on("request", self._seen)
        return OfflinePage(page, self.blocked)

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def offline_browser():
    """Headless Debian Chromium with networking off: fresh profiles, no DNS, no requests."""
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p, tempfile.TemporaryDirectory() as profiles:
        browser = OfflineBrowser(p, Path(profiles))
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def offline_page(offline_browser) -> OfflinePage:
    """One 1400 px wide page of `offline_browser`, scripts on."""
    return offline_browser.page()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """`test-artifacts/` in the project: screenshots a person can open after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.rmtree(ARTIFACTS / "reports", ignore_errors=True)
    (ARTIFACTS / "reports").mkdir()
    return ARTIFACTS / "reports"
