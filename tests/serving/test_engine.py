"""The checked ONNX export ``candor serve`` runs: stored at registration only when ONNX Runtime gives
the model's own answers on the held-out rows, covered by the version's checksums, and answering as
the model's own library does (labels identical, probabilities within 1e-4); anything the fast path
cannot take goes through the model's library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from candor.errors import ChecksumMismatch
from candor.project import Project, init_project
from candor.registering import load_version, project_registry, register
from candor.registry import parse_ref
from candor.registry._engine import SERVING_ONNX
from candor.serving._server import build_app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engine")
    init_project(root, source="sklearn:breast_cancer")
    register(root, name="m", rung="linear", alias="")  # v1
    register(root, name="m", rung="dummy", alias="")  # v2: nothing to export
    return root


def _client(root: Path, ref: str, *, onnx: bool) -> Iterator[TestClient]:
    app = build_app(ref, root, poll_s=None, onnx=onnx, log_url=f"sqlite:///{root / f'{onnx}.db'}")
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def fast(project: Path) -> Iterator[TestClient]:
    yield from _client(project, "m/1", onnx=True)


@pytest.fixture(scope="module")
def native(project: Path) -> Iterator[TestClient]:
    yield from _client(project, "m/1", onnx=False)


def _held_out(root: Path) -> list[dict[str, Any]]:
    p = Project.load(root)
    ds = p.dataset()
    rows: list[dict[str, Any]] = ds.frame.iloc[p.split(ds).test][ds.features].to_dict("records")
    return rows


def _answers(client: TestClient, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r = client.post("/predict", json=rows)
    assert r.status_code == 200, r.text
    return list(r.json()["predictions"])


def test_registration_stores_a_checked_export_and_says_so(project: Path) -> None:
    registry = project_registry(Project.load(project))
    linear = load_version(registry, parse_ref("m/1"))
    assert linear.engine is not None
    note = linear.engine_note
    assert note["engine"] == "onnx" and "passes" in note["why"] and "n = 143 rows" in note["why"]
    assert registry.resolve(parse_ref("m/1")).tags["candor.serving.engine"] == "onnx"
    assert "runs it with **onnx**" in str(registry.resolve(parse_ref("m/1")).description)
    dummy = load_version(registry, parse_ref("m/2"))
    assert dummy.engine is None and dummy.engine_note["engine"] == "native"
    assert "no ONNX export" in dummy.engine_note["why"]


def test_served_answers_are_the_models_own(fast: TestClient, native: TestClient, project: Path):
    rows = _held_out(project)
    assert fast.get("/health").json()["engine"] == "onnx"
    assert native.get("/health").json()["engine"] == "native"
    a, b = _answers(fast, rows), _answers(native, rows)
    assert [x["prediction"] for x in a] == [x["prediction"] for x in b]
    pa = np.array([list(x["probabilities"].values()) for x in a])
    pb = np.array([list(x["probabilities"].values()) for x in b])
    assert np.abs(pa - pb).max() < 1e-4
    # float32 arithmetic: the answers are not bit-identical, so this is the fast path's
    assert np.abs(pa - pb).max() > 0
    assert [x["routed"] for x in a] == [x["routed"] for x in b]  # novelty from the same matrix


def test_missing_values_and_numbers_float32_cannot_hold(
    fast: TestClient, native: TestClient, project: Path
) -> None:
    row = _held_out(project)[0]
    gap = {**row, "mean radius": None}
    a, b = _answers(fast, [gap])[0], _answers(native, [gap])[0]
    assert a["prediction"] == b["prediction"]
    assert abs(a["confidence"] - b["confidence"]) < 1e-4
    huge = {**row, "mean radius": 1e300}  # beyond float32: the model's own library answers
    ra, rb = fast.post("/predict", json=huge), native.post("/predict", json=huge)
    assert (ra.status_code, ra.json()["predictions"][0]["probabilities"]) == (
        rb.status_code,
        rb.json()["predictions"][0]["probabilities"],
    )


def test_text_inputs_are_served_natively(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    n = 300
    frame = pd.DataFrame(
        {
            "colour": rng.choice(["red", "green", "blue"], n),
            "size": rng.normal(size=n),
        }
    )
    frame["label"] = np.where((frame["colour"] == "red") ^ (frame["size"] > 0), "yes", "no")
    frame.to_csv(tmp_path / "data.csv", index=False)
    init_project(tmp_path, source="data.csv", target="label")
    register(tmp_path, name="t", rung="linear", alias="")
    loaded = load_version(project_registry(Project.load(tmp_path)), parse_ref("t/1"))
    assert loaded.engine is None
    assert "inputs include text" in loaded.engine_note["why"]


def test_a_tampered_export_is_refused(project: Path) -> None:
    registry = project_registry(Project.load(project))
    mv = registry.resolve(parse_ref("m/1"))
    found = list(Path(project).rglob(SERVING_ONNX))
    assert found, "no serving.onnx in the project's artifact store"
    path = next(p for p in found if mv.run_id in str(p))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    original = path.read_bytes()
    path.write_bytes(bytes(data))
    try:
        with pytest.raises(ChecksumMismatch, match=SERVING_ONNX):
            load_version(registry, parse_ref("m/1"))
    finally:
        path.write_bytes(original)


def test_metrics_count_each_answer_by_the_status_actually_sent(fast: TestClient) -> None:
    def count(endpoint: str, status: str) -> float:
        text = fast.get("/metrics").text
        key = f'candor_requests_total{{endpoint="{endpoint}",status="{status}"}} '
        line = next((x for x in text.splitlines() if x.startswith(key)), None)
        return 0.0 if line is None else float(line.split()[-1])

    before = {k: count(*k) for k in [("predict", "422"), ("feedback", "404"), ("api", "200")]}
    assert fast.post("/predict", json={"mean radius": "x"}).status_code == 422
    assert fast.post(f"/feedback/{'0' * 32}", json={"reason": "r"}).status_code == 404
    assert fast.get("/api/kpis").status_code == 200
    for k, v in before.items():
        assert count(*k) == v + 1, k
