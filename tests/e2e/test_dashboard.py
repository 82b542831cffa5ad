"""The example dashboard (dashboards/streamlit_app.py) on the demo load's warehouse, served by
Streamlit as `make dashboard` serves it and read in headless Chromium: it shows the published
group sizes and means, and a screenshot of it is taken.

    PMPS_DOCS_SCREENSHOT=1 .venv/bin/pytest -n0 tests/e2e/test_dashboard.py  # docs/dashboard.png
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests import browser
from tests.e2e.harness import PROJECT_ROOT
from tests.html_page import png_size

APP = PROJECT_ROOT / "dashboards" / "streamlit_app.py"
DOCS_SCREENSHOT = PROJECT_ROOT / "docs" / "dashboard.png"
SIZE = (1280, 1300)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def dashboard(demo_load):
    """The dashboard served on a free port; its URL."""
    pytest.importorskip("streamlit")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false"],
        env={**os.environ, "PMPS_WAREHOUSE_DIR": str(demo_load.warehouse)},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=PROJECT_ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stderr.read().decode()) from None
                time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_dashboard_shows_the_published_tables(dashboard, demo_load, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    group_sizes = demo_load.table("patients").query("in_analysis")["group_code"].value_counts()
    summary = demo_load.table("group_summary")
    nrs = summary[(summary["param_code"] == "NRS") & (summary["visit_code"] == "BASELINE")]
    shown_means = set(nrs["mean_sd"])
    with playwright.sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=browser.chromium(),
                                          args=["--no-sandbox"])
        try:
            page = chromium.new_page(viewport={"width": SIZE[0], "height": SIZE[1]})
            page.goto(dashboard)
            page.get_by_text("Patients in the analysis").wait_for(timeout=60_000)
            # Streamlit sends the page element by element: wait for the last ones drawn,
            # the tables' cells and the chart.
            for mean in shown_means:
                page.get_by_text(mean, exact=True).first.wait_for(timeout=60_000)
            page.get_by_text("NRS_30PCT").first.wait_for(timeout=60_000)
            page.wait_for_selector(".vega-embed canvas, .vega-embed svg", timeout=60_000)
            page.wait_for_timeout(500)  # the chart's lines are drawn after its canvas
            text = page.inner_text("body")
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot))
        finally:
            chromium.close()
    assert f"Patients in the analysis\n\n{group_sizes.sum()}" in text
    assert f"Group 1\n\n{group_sizes['NI_USGDN']}" in text
    assert f"Group 2\n\n{group_sizes['USGDN_ONLY']}" in text
    assert all(mean in text for mean in shown_means)  # the table of means (SD)
    assert "NRS_30PCT" in text  # the responders, read from the Parquet export
    png = shot.read_bytes()
    assert png_size(png) == SIZE and len(png) > 30_000
    if os.environ.get("PMPS_DOCS_SCREENSHOT"):
        DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
        DOCS_SCREENSHOT.write_bytes(png)

