"""The whole loop for real: a ``candor serve`` on 127.0.0.1 routes doubtful predictions; a
reviewer signs in and reviews them by keyboard in a real browser (Playwright's Python package
driving Debian's chromium, never ``playwright install``); the corrections are exported as a new
dataset version, a model retrained on it, promoted through the gates, and the running server
swaps to it. Screenshots of the review and KPI pages are kept in ``test-artifacts/``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from candor import export_feedback, retrain
from candor.project import Project, init_project
from candor.registering import promote, register
from candor.serving import PredictionLog, ReviewQueue
from tests.serving.conftest import start_server, stop_server

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# as the machine's probe found: without these, chromium reaches for Google's hosts at every start
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run scripts/system-deps.sh (make test runs it) to install "
            "Debian's chromium",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("browser")
    init_project(root, source="sklearn:breast_cancer")
    with (root / "candor.toml").open("a") as fh:
        fh.write("\n[feedback]\nmin_confidence = 0.999\n")  # route plenty to review
        # not sized here: the budgets gate would rightly refuse
        fh.write('\n[registry]\ngates = ["audit", "min_acceptable", "beats_champion"]\n')
    v1 = register(root, name="m", rung="linear")
    promote(root, name="m", version=v1.version, force=True, reason="a test: not audited")
    proc, url = start_server(root, "--poll", "0.5")
    p = Project.load(root)
    ds = p.dataset()
    # training rows: a reviewed copy of a held-out row would be left out of the export (a leak)
    rows = ds.frame[ds.features].iloc[p.split(ds).train[:80]].to_dict("records")
    r = httpx.post(f"{url}/predict", json=rows, timeout=60)
    assert r.status_code == 200 and sum(p["routed"] for p in r.json()["predictions"]) >= 3
    try:
        yield root, url
    finally:
        stop_server(proc)


def test_a_reviewer_signs_in_and_reviews_by_keyboard_in_chromium(
    browser: Any, served: tuple[Path, str]
) -> None:
    root, url = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{url}/review")
    assert "/review/login" in page.url  # no name, no review
    page.fill('input[name="name"]', "Dana")
    page.click('button[type="submit"]')
    page.wait_for_url(f"{url}/review")
    assert page.locator("table.queue tbody tr").count() >= 3
    assert "Dana" in page.inner_text("header")

    page.keyboard.press("n")  # the next open item
    page.wait_for_url(lambda u: "/review/" in u and "next" not in u and "login" not in u)
    first = page.url.rsplit("/", 1)[1]
    assert page.locator("text=Why it is here").count() == 1
    page.keyboard.press("3")  # opinion score
    assert page.locator('input[name="mos"][value="3"]').is_checked()
    page.keyboard.press("c")  # focus the label; choose the other class; Enter corrects
    model_said = page.inner_text("p.answer").split()[0]
    other = "benign" if model_said == "malignant" else "malignant"
    page.select_option("#label", other)
    page.focus("#label")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda u: u.rsplit("/", 1)[1] not in (first, "next") and "/review/" in u)
    second = page.url.rsplit("/", 1)[1]
    page.keyboard.press("5")
    page.keyboard.press("y")  # confirm the model's answer
    # the form's POST redirects on to the next open item (or the queue): wait for the
    # redirect to land, or the next goto races it and is aborted
    page.wait_for_url(lambda u: not u.endswith(f"/{second}") and "/review/next" not in u)
    page.goto(f"{url}/review?status=reviewed")
    assert page.locator("table.queue tbody tr").count() == 2
    page.goto(f"{url}/kpis")
    assert "agreement with reviewers" in page.inner_text("#kpis")
    page.screenshot(path=str(ARTIFACTS / "kpis-page.png"), full_page=True)
    page.close()

    with PredictionLog(f"sqlite:///{root / '.candor' / 'predictions.db'}") as log:
        q = ReviewQueue(log)
        corrected, confirmed = q.item(first), q.item(second)
    assert corrected is not None and corrected.verdict is not None
    assert (corrected.verdict.action, corrected.label, corrected.verdict.mos) == (
        "correct",
        other,
        3,
    )
    assert corrected.verdict.reviewer == "Dana"
    assert confirmed is not None and confirmed.verdict is not None
    assert (confirmed.verdict.action, confirmed.verdict.mos) == ("confirm", 5)
    assert (ARTIFACTS / "review-page.png").stat().st_size > 10_000

    # closing the loop: the corrections become data, a candidate, and after the gates, champion
    exported = export_feedback(root)
    assert exported.written and [r.prediction_id for r in exported.added] == [first, second]
    assert [r.label for r in exported.added] == [other, confirmed.label]
    assert exported.rows == exported.base_rows + 2
    retrained = retrain(root, rung="linear")
    assert retrained.comparison is not None and retrained.champion == "1"
    n_test = len(Project.load(root).split(Project.load(root).dataset()).test)
    assert retrained.comparison.difference.n == n_test  # paired, on the same held-out rows
    assert not [g for g in retrained.gates if not g.passed], retrained.sentences()
    promoted = promote(root, name="m", version=retrained.registration.version)
    assert (promoted.version, promoted.outcome) == (retrained.registration.version, "promoted")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the running server swaps to the new champion
        health = httpx.get(f"{url}/health", timeout=10).json()
        if health["version"] == retrained.registration.version:
            break
        time.sleep(0.5)
    assert health["version"] == retrained.registration.version and health["swaps"] == 1
