"""The review loop through a real ``candor serve`` on 127.0.0.1: doubtful predictions routed with
their reasons, client feedback, the review pages behind a named sign-in, the JSON API, KPIs."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from candor.project import Project, init_project
from candor.registering import promote, register
from candor.serving import PredictionLog, ReviewQueue
from tests.serving.conftest import start_server, stop_server

pytestmark = pytest.mark.slow

FEEDBACK = """
[feedback]
min_confidence = 0.97
novelty = 0.99
shadow = "candidate"
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    """Champion v1 (linear) and candidate v2 (knn, the shadow), routing a good share."""
    root = tmp_path_factory.mktemp("review")
    init_project(root, source="sklearn:breast_cancer")
    with (root / "candor.toml").open("a") as fh:
        fh.write(FEEDBACK)
    v1 = register(root, name="m", rung="linear")
    promote(root, name="m", version=v1.version, force=True, reason="a test: not audited")
    register(root, name="m", rung="knn")
    ds = Project.load(root).dataset()
    rows = ds.frame[ds.features].head(120).to_dict("records")
    return root, rows


@pytest.fixture(scope="module")
def server(project: tuple[Path, list[dict[str, Any]]]) -> Iterator[str]:
    proc, url = start_server(project[0], "--poll", "0.5")
    try:
        yield url
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def answered(server: str, project: tuple[Path, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    r = httpx.post(f"{server}/predict", json=project[1], timeout=60)
    assert r.status_code == 200, r.text
    return list(r.json()["predictions"])


@contextlib.contextmanager
def _signed_in(url: str, name: str = "Ana") -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, timeout=30) as c:
        r = c.post("/review/login", data={"name": name, "next": "/review"})
        assert r.status_code == 303 and r.headers["location"] == "/review"
        yield c


def _log(root: Path) -> PredictionLog:
    return PredictionLog(f"sqlite:///{root / '.candor' / 'predictions.db'}")


def test_doubtful_predictions_are_routed_with_their_reasons_and_the_shadow_stays_hidden(
    answered: list[dict[str, Any]], project: tuple[Path, list[dict[str, Any]]]
) -> None:
    routed = [p for p in answered if p["routed"]]
    assert 0 < len(routed) < len(answered)
    assert all("shadow" not in p for p in answered)  # never returned to the caller
    with _log(project[0]) as log:
        for p in answered:
            rec = log.get(p["id"])
            assert rec is not None and (rec.routed is not None) == p["routed"]
            assert rec.details is not None and rec.details["shadow"]["version"] == "2"
            assert 0 <= rec.details["novelty"]["score"] <= 1
            if p["confidence"] < 0.97:
                assert rec.routed is not None and "low confidence" in rec.routed
            if rec.details["shadow"]["prediction"] != p["prediction"]:
                assert rec.routed is not None and "shadow disagrees: v2 (@candidate)" in rec.routed


def test_an_input_outside_training_is_routed_naming_the_column(
    server: str, project: tuple[Path, list[dict[str, Any]]]
) -> None:
    row = {**project[1][0], "mean radius": 500.0}
    (p,) = httpx.post(f"{server}/predict", json=row, timeout=30).json()["predictions"]
    assert p["routed"]
    item = httpx.get(f"{server}/api/review/{p['id']}", timeout=30).json()
    assert any(
        r.startswith("out of distribution: mean radius = 500 is above anything in training")
        for r in item["reasons"]
    )


def test_the_client_application_can_send_a_prediction_to_review(
    server: str, answered: list[dict[str, Any]]
) -> None:
    quiet = next(p for p in answered if not p["routed"])
    r = httpx.post(
        f"{server}/feedback/{quiet['id']}",
        json={"reason": "the customer disputes it", "label": "benign"},
        timeout=30,
    )
    assert r.status_code == 200 and r.json()["reasons"] == ["client: the customer disputes it"]
    assert httpx.post(f"{server}/feedback/{'0' * 32}", json={}, timeout=30).status_code == 404
    for bad in ("../health", "ABC", "x" * 32, "%2e%2e"):
        assert httpx.post(f"{server}/feedback/{bad}", json={}, timeout=30).status_code in (
            404,
            405,
            422,
        )
    bad_json = httpx.post(
        f"{server}/feedback/{quiet['id']}",
        content=b"{not json",
        headers={"content-type": "application/json"},
        timeout=30,
    )
    assert bad_json.status_code == 422
    extra = httpx.post(f"{server}/feedback/{quiet['id']}", json={"admin": True}, timeout=30)
    assert extra.status_code == 422


def test_the_review_pages_need_a_named_sign_in_and_never_redirect_off_site(server: str) -> None:
    r = httpx.get(f"{server}/review", timeout=30)
    assert r.status_code == 303 and r.headers["location"].startswith("/review/login?next=")
    form = httpx.get(f"{server}/review/login", timeout=30).text
    assert 'name="name"' in form and 'name="token"' not in form  # loopback, no tokens: a name
    r = httpx.post(f"{server}/review/login", data={"name": "", "next": "/review"}, timeout=30)
    assert "give+your+name" in r.headers["location"]
    r = httpx.post(
        f"{server}/review/login", data={"name": "Ana", "next": "//evil.example/x"}, timeout=30
    )
    assert r.headers["location"] == "/review"
    forged = httpx.get(f"{server}/review", cookies={"candor_reviewer": "616e61.00"}, timeout=30)
    assert forged.status_code == 303


def test_a_reviewer_corrects_an_answer_and_the_verdict_is_recorded_under_their_name(
    server: str, answered: list[dict[str, Any]], project: tuple[Path, list[dict[str, Any]]]
) -> None:
    with _signed_in(server) as c:
        queue = c.get("/review")
        assert queue.status_code == 200 and "Review queue" in queue.text
        target = c.get("/review/next")
        assert target.status_code == 303
        pid = target.headers["location"].rsplit("/", 1)[1]
        page = c.get(f"/review/{pid}")
        assert page.status_code == 200 and "Why it is here" in page.text
        assert "mean radius" in page.text  # the inputs are shown
        r = c.post(f"/review/{pid}", data={"action": "correct", "label": "no-such-class"})
        assert r.status_code == 303 and "error=" in r.headers["location"]
        r = c.post(
            f"/review/{pid}",
            data={"action": "correct", "label": "benign", "mos": "2", "comment": "looks benign"},
        )
        assert r.status_code == 303 and r.headers["location"] == f"/review/next?after={pid}"
    with _log(project[0]) as log:
        item = ReviewQueue(log).item(pid)
    assert item is not None and item.status == "reviewed" and item.label == "benign"
    assert item.verdict is not None
    assert (item.verdict.reviewer, item.verdict.mos, item.verdict.comment) == (
        "Ana",
        2,
        "looks benign",
    )


def test_the_json_api_lists_the_queue_and_takes_verdicts_with_a_name(
    server: str, answered: list[dict[str, Any]]
) -> None:
    q = httpx.get(f"{server}/api/queue", params={"status": "all", "limit": 500}, timeout=30).json()
    assert q["count"] >= 1 and {"id", "reasons", "status", "actions"} <= set(q["items"][0])
    pid = q["items"][0]["id"]
    unnamed = httpx.post(f"{server}/api/review/{pid}", json={"action": "confirm"}, timeout=30)
    assert unnamed.status_code == 422 and "name the reviewer" in unnamed.text
    ok = httpx.post(
        f"{server}/api/review/{pid}",
        json={"action": "confirm", "mos": 5, "reviewer": "Ben"},
        timeout=30,
    )
    assert ok.status_code == 200 and ok.json()["actions"][-1]["reviewer"] == "Ben"
    assert (
        httpx.post(
            f"{server}/api/review/{pid}", json={"action": "confirm", "mos": 9}, timeout=30
        ).status_code
        == 422
    )
    assert httpx.get(f"{server}/api/queue", params={"status": "x"}, timeout=30).status_code == 422


def test_kpis_carry_intervals_and_metrics_count_routed_predictions(
    server: str, answered: list[dict[str, Any]]
) -> None:
    k = httpx.get(f"{server}/api/kpis", timeout=30).json()["total"]
    assert k["served"] >= len(answered)
    rate = k["exception_rate"]
    assert rate["method"] == "Wilson" and rate["low"] <= rate["value"] <= rate["high"]
    assert k["latency_p99_ms"]["method"].startswith("order statistics (distribution-free)")
    with _signed_in(server) as c:
        page = c.get("/kpis")
    assert page.status_code == 200 and "exception rate" in page.text and "Wilson" in page.text
    metrics = httpx.get(f"{server}/metrics", timeout=30).text
    assert re.search(r'candor_routed_total\{rule="low confidence"\} [1-9]', metrics)


def test_with_reviewer_tokens_everything_but_health_needs_one_and_names_the_reviewer(
    project: tuple[Path, list[dict[str, Any]]],
) -> None:
    env = {"CANDOR_REVIEWERS": "ana=ana-token-123,ben=ben-token-456", "CANDOR_TOKEN": ""}
    proc, url = start_server(project[0], "--poll", "0", env=env)
    try:
        row = project[1][0]
        assert httpx.post(f"{url}/predict", json=row, timeout=30).status_code == 401
        assert httpx.get(f"{url}/api/queue", timeout=30).status_code == 401
        assert httpx.get(f"{url}/health", timeout=30).status_code == 200
        auth = {"Authorization": "Bearer ben-token-456"}
        (p,) = httpx.post(f"{url}/predict", json=row, headers=auth, timeout=30).json()[
            "predictions"
        ]
        httpx.post(f"{url}/feedback/{p['id']}", json={}, headers=auth, timeout=30)
        item = httpx.get(f"{url}/api/review/{p['id']}", headers=auth, timeout=30).json()
        assert item["actions"][-1]["reviewer"] == "ben"  # the token names the client too
        form = httpx.get(f"{url}/review/login", timeout=30).text
        assert 'name="token"' in form and 'name="name"' not in form
        with httpx.Client(base_url=url, timeout=30) as c:
            bad = c.post("/review/login", data={"token": "nope", "next": "/review"})
            assert "unknown+token" in bad.headers["location"]
            c.post("/review/login", data={"token": "ana-token-123", "next": "/review"})
            assert "ana" in c.get("/review").text
            assert c.get("/api/queue").status_code == 200  # the cookie works for the API too
    finally:
        stop_server(proc)
