"""The report opened in Debian's chromium: no console errors, no request but the file itself, and
a full-page screenshot kept in test-artifacts/report.png."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.reporting import ReportResult
from tests.serving.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS


@pytest.mark.slow
def test_report_opens_in_chromium_with_no_errors_and_no_requests(
    reported: tuple[Path, ReportResult, str],
) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/system-deps.sh", pytrace=False)
    from playwright.sync_api import sync_playwright

    _, res, _ = reported
    url = res.path.as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            page.wait_for_load_state("load")
            assert page.locator("body > section").count() == len(res.sections)
            assert page.locator("section#model svg").count() >= 6
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert requests == [url]
    assert (ARTIFACTS / "report.png").stat().st_size > 10_000
