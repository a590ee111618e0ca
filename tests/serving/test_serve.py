"""``candor serve`` for real: a uvicorn server on 127.0.0.1 in its own process, requests over
HTTP, predictions in the log before they are answered, 422s that name the field, the model
swapped when its alias moves, a token required off loopback."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from candor.project import Project, init_project
from candor.registering import promote, register
from candor.serving import PredictionLog
from tests.serving.conftest import start_server, stop_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, list[str]]]:
    root = tmp_path_factory.mktemp("serve")
    init_project(root, source="sklearn:breast_cancer")
    reg = register(root, name="m", rung="linear")
    promote(root, name="m", version=reg.version, force=True, reason="a test: not audited")
    ds = Project.load(root).dataset()
    proc, url = start_server(root, "--poll", "0.5")
    try:
        yield root, url, list(ds.features)
    finally:
        stop_server(proc)


def _row(features: list[str], value: float = 1.0) -> dict[str, Any]:
    return dict.fromkeys(features, value)


def test_predict_one_row_and_a_batch_and_find_them_in_the_log(
    served: tuple[Path, str, list[str]],
) -> None:
    root, url, features = served
    one = httpx.post(f"{url}/predict", json=_row(features)).json()
    assert one["model"] == "m" and one["version"] == "1" and len(one["predictions"]) == 1
    p = one["predictions"][0]
    assert p["prediction"] in ("benign", "malignant")
    assert set(p["probabilities"]) == {"benign", "malignant"}
    assert math.isclose(sum(p["probabilities"].values()), 1) and p["confidence"] >= 0.5
    batch = httpx.post(f"{url}/predict", json=[_row(features, v) for v in (0.5, 2.0, 3.0)]).json()
    ids = [one["predictions"][0]["id"]] + [q["id"] for q in batch["predictions"]]
    with PredictionLog(f"sqlite:///{root / '.candor' / 'predictions.db'}") as log:
        assert set(ids) <= log.ids()
        rec = log.get(ids[0])
        assert rec is not None and rec.inputs[features[0]] == 1.0 and rec.version == "1"
    health = httpx.get(f"{url}/health").json()
    assert health["status"] == "ok" and health["model"] == "m"
    metrics = httpx.get(f"{url}/metrics").text
    assert (
        "candor_predictions_total" in metrics and "candor_predict_latency_seconds_bucket" in metrics
    )
    assert "candor_model_version" in metrics
    assert httpx.get(f"{url}/openapi.json").json()["paths"]["/predict"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("missing", "mean radius"),
        ("extra", "surprise"),
        ("text", "mean radius"),
        ("nan", "mean radius"),
    ],
)
def test_bad_rows_get_a_422_that_names_the_field(
    served: tuple[Path, str, list[str]], change: str, field: str
) -> None:
    _, url, features = served
    row: dict[str, Any] = _row(features)
    if change == "missing":
        del row[field]
    elif change == "extra":
        row[field] = 1
    elif change == "text":
        row[field] = "twelve"
    content = None
    if change == "nan":  # not valid JSON, but Python's parser reads it: refused all the same
        content = "{" + ", ".join(f'"{k}": {"NaN" if k == field else 1.0}' for k in row) + "}"
    r = (
        httpx.post(f"{url}/predict", content=content, headers={"content-type": "application/json"})
        if content
        else httpx.post(f"{url}/predict", json=row)
    )
    assert r.status_code == 422, r.text
    assert field in r.text


def test_malformed_oversized_and_empty_requests_never_get_a_500(
    served: tuple[Path, str, list[str]],
) -> None:
    _, url, features = served
    assert (
        httpx.post(
            f"{url}/predict", content="{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    assert httpx.post(f"{url}/predict", json=[]).status_code == 422
    too_many = httpx.post(f"{url}/predict", json=[_row(features)] * 1001)
    assert (
        too_many.status_code in (413, 422) and "1,000" in too_many.text
    ) or too_many.status_code == 413
    huge = httpx.post(
        f"{url}/predict",
        content=b"[" + b"1," * 3_000_000 + b"1]",
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert (
        httpx.post(
            f"{url}/predict", content="a=1", headers={"content-type": "text/plain"}
        ).status_code
        == 422
    )


def test_the_server_swaps_to_the_new_champion_without_a_restart(
    served: tuple[Path, str, list[str]],
) -> None:
    root, url, features = served
    reg = register(root, name="m", rung="dummy")
    promote(root, name="m", version=reg.version, force=True, reason="a test: swap")
    deadline = time.monotonic() + 30
    while httpx.get(f"{url}/health").json()["version"] != reg.version:
        assert time.monotonic() < deadline, "no swap within 30 s"
        r = httpx.post(f"{url}/predict", json=_row(features))
        assert r.status_code == 200  # in-flight requests keep working during the swap
        time.sleep(0.2)
    assert httpx.post(f"{url}/predict", json=_row(features)).json()["version"] == reg.version


def test_off_loopback_a_token_is_required(served: tuple[Path, str, list[str]]) -> None:
    root, _, features = served
    res = subprocess.run(
        [sys.executable, "-m", "candor", "serve", "m@champion", "--host", "0.0.0.0"],
        cwd=root,
        env={k: v for k, v in os.environ.items() if k != "CANDOR_TOKEN"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 2 and "CANDOR_TOKEN" in res.stderr
    proc, url = start_server(root, "--host", "0.0.0.0", env={"CANDOR_TOKEN": "s3cret"})
    try:
        assert httpx.post(f"{url}/predict", json=_row(features)).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.post(f"{url}/predict", json=_row(features), headers=wrong).status_code == 401
        ok = {"Authorization": "Bearer s3cret"}
        assert httpx.post(f"{url}/predict", json=_row(features), headers=ok).status_code == 200
    finally:
        stop_server(proc)
