"""The class report renders in a real headless browser: charts present, no console errors."""

import shutil

import pytest

from mnist_kit import report
from mnist_kit.files import GradedFolder
from tests.conftest import unavailable
from tests.test_batch import _result

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a closed network and a root user (see the machine notes): no sandbox, no background fetches.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.mark.slow
def test_report_renders_with_charts_and_no_console_errors(tmp_path):
    from playwright.sync_api import sync_playwright

    if CHROMIUM is None:
        unavailable("Chromium is not installed (apt-get install chromium; .ci/run does)")
    results = [_result(f"student{i}", float(i), seconds=float(i)) for i in range(8)]
    results.append(_result("late", 2.0, status="timeout"))
    path = report.write_report(GradedFolder(tmp_path), results)
    problems = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
        page.goto(path.as_uri())
        widths = page.eval_on_selector_all("img", "images => images.map(i => i.complete ? i.naturalWidth : 0)")
        headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
        troubled = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert problems == []
    assert len(widths) == 2 and all(w >= 400 for w in widths), widths
    sections = ["Scores", "Questions", "Most common failures", "Slowest submissions", "Not graded cleanly"]
    sections += ["Written answers, marked by hand", "Similar code, for review"]
    assert headings == sections
    assert "late" in troubled and "timeout" in troubled
