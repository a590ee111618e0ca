"""The prediction log's contract on a real PostgreSQL (the team's store): concurrent appends all
committed in fewer transactions, reads, an unreachable server named without its password, and
``candor serve --log postgresql+psycopg://...`` writing its predictions there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from candor.serving import LogError, PredictionLog
from tests.serving.conftest import (
    append_from_threads,
    free_port,
    new_database,
    one_row,
    prediction,
    start_server,
    stop_server,
)


def test_concurrent_appends_on_postgres_are_all_committed_in_fewer_transactions(
    fresh_postgres_url: str,
) -> None:
    with PredictionLog(fresh_postgres_url) as log:
        append_from_threads(log, threads=8, each=50)
        assert log.count() == 400
        assert log.commits < 400  # group commit: concurrent appends share transactions
        batch = [prediction(7), prediction(8)]
        log.append(batch).result(timeout=60)
        assert {r.id for r in batch} <= log.ids() and len(log.ids()) == 402
        got = log.get(batch[0].id)
        assert got is not None
        assert got.inputs == {"x": 7} and got.outputs == {"label": 1} and got.version == "3"
        assert got.confidence == 0.9 and got.routed is None
        assert log.get("no-such-id") is None
    # committed means in PostgreSQL itself, seen by a connection of its own
    engine = create_engine(fresh_postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM predictions")).scalar_one() == 402
    finally:
        engine.dispose()


def test_an_unreachable_postgres_is_a_log_error_that_names_it_without_the_password() -> None:
    port = free_port()  # nothing listens there
    url = f"postgresql+psycopg://candor:hunter2@127.0.0.1:{port}/predictions"
    with pytest.raises(LogError, match="could not be opened") as exc:
        PredictionLog(url)
    message = str(exc.value)
    assert f"127.0.0.1:{port}/predictions" in message and "candor:***@" in message
    assert "hunter2" not in message


@pytest.fixture(scope="module")
def postgres_server(
    model_project: tuple[Path, list[str]], postgres_url: str
) -> Iterator[tuple[Path, str, str]]:
    """``candor serve`` logging to a database of its own on the test cluster: the project, the
    server's URL and the log's."""
    root, _ = model_project
    log_url = new_database(postgres_url)
    proc, url = start_server(root, "--log", log_url, "--poll", "60")
    try:
        yield root, url, log_url
    finally:
        stop_server(proc)


@pytest.mark.slow
def test_candor_serve_logs_its_predictions_to_postgres(
    model_project: tuple[Path, list[str]], postgres_server: tuple[Path, str, str]
) -> None:
    _, features = model_project
    root, url, log_url = postgres_server
    one = httpx.post(f"{url}/predict", json=one_row(features), timeout=30)
    batch = httpx.post(
        f"{url}/predict", json=[one_row(features, v) for v in (0.5, 2.0)], timeout=30
    )
    assert one.status_code == 200, one.text
    assert batch.status_code == 200, batch.text
    ids = [p["id"] for r in (one, batch) for p in r.json()["predictions"]]
    with PredictionLog(log_url) as log:
        assert set(ids) <= log.ids()  # answered means logged
        rec = log.get(ids[1])
        assert rec is not None and rec.model == "m" and rec.inputs[features[0]] == 0.5
    # nothing went to the project's default SQLite log instead
    default = root / ".candor" / "predictions.db"
    if default.exists():
        with PredictionLog(f"sqlite:///{default}") as log:
            assert not set(ids) & log.ids()


@pytest.mark.slow
def test_feedback_with_nul_characters_is_not_a_500_on_postgres(
    model_project: tuple[Path, list[str]], postgres_server: tuple[Path, str, str]
) -> None:
    # SQLite stores a NUL in text, PostgreSQL refuses it: JSON allows it ("\u0000"), so a client
    # can send one; the answer should be a 422 or the text stored, not a 500
    _, features = model_project
    _, url, _ = postgres_server
    answer = httpx.post(f"{url}/predict", json=one_row(features), timeout=30).json()
    pid = answer["predictions"][0]["id"]
    flagged = httpx.post(
        f"{url}/feedback/{pid}", json={"reason": "a\x00b", "comment": "\x00"}, timeout=30
    )
    assert flagged.status_code == 422 and "NUL" in flagged.text, flagged.text
