"""``candor feedback export``: reviewed predictions (a real SQLite log, real review actions) become
a new content-addressed dataset version with their lineage; the held-out rows stay the project's."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from candor.data import Dataset
from candor.errors import ConfigError, DataError
from candor.feedback import KIND, export_feedback, training_data
from candor.project import Project, init_project
from candor.registering import promote, register
from candor.serving import PredictionLog, PredictionRecord, ReviewQueue
from candor.serving._server import default_log_url
from tests._subprocess import candor, flat


# -- shared with test_retrain.py ------------------------------------------------------------------
def served_project(root: Path) -> Path:
    """breast_cancer with a linear model ``m`` promoted to champion (no audit: forced)."""
    init_project(root, source="sklearn:breast_cancer")
    # the smallest number of resamples candor.toml allows: the tests judge wiring, not intervals
    cfg = root / "candor.toml"
    cfg.write_text(cfg.read_text().replace("n_resamples = 10000", "n_resamples = 1000"))
    reg = register(root, name="m", rung="linear")
    promote(root, name="m", version=reg.version, force=True, reason="a test: not audited")
    return root


def other(label: str) -> str:
    return "benign" if label == "malignant" else "malignant"


def as_record(ds: Dataset, position: int, predicted: Any, routed: str | None) -> PredictionRecord:
    """A prediction of the champion on row ``position`` of the data, as the server logs it."""
    row = ds.frame.iloc[position]
    return PredictionRecord(
        uuid.uuid4().hex,
        time.time(),
        "m",
        "1",
        {f: float(row[f]) for f in ds.features},
        {"prediction": predicted, "confidence": 0.55},
        0.55,
        1.2,
        routed,
    )


@dataclass(frozen=True)
class Reviewed:
    """A project, its log and what was reviewed in it."""

    root: Path
    log_url: str
    expected: dict[str, tuple[int, str]]  # prediction id -> (data row, label settled on)
    held_out_id: str  # reviewed, but its inputs are a held-out row's
    bad_id: str  # reviewed, but its inputs lack a column
    open_id: str  # routed, not reviewed
    quiet_id: str  # neither routed nor reviewed


def review_some(root: Path) -> Reviewed:
    """Log ten predictions on real rows of the data and review seven of them: corrections,
    confirmations of a wrong answer, a verdict changed by a second reviewer, a held-out row and
    a row with a column missing."""
    project = Project.load(root)
    ds = project.dataset()
    split = project.split(ds)
    train, test = [int(i) for i in split.train[:8]], int(split.test[0])
    y = ds.y
    low = "low confidence: top probability 0.55 < 0.60"
    recs = [as_record(ds, i, other(y.iloc[i]), low) for i in train[:7]]
    held_out = as_record(ds, test, y.iloc[test], low)
    bad = as_record(ds, train[7], y.iloc[train[7]], low)
    bad = PredictionRecord(**{**bad.to_dict(), "inputs": dict(list(bad.inputs.items())[1:])})
    quiet = as_record(ds, train[0], y.iloc[train[0]], None)
    url = default_log_url(root)
    with PredictionLog(url) as log:
        log.append([*recs, held_out, bad, quiet]).result()
        q = ReviewQueue(log)
        expected: dict[str, tuple[int, str]] = {}
        for k, (i, r) in enumerate(zip(train[:3], recs[:3], strict=True)):  # wrong: corrected
            q.record(r.id, reviewer="alice", action="correct", label=y.iloc[i], mos=1 + k)
            expected[r.id] = (i, y.iloc[i])
        for i, r in zip(train[3:5], recs[3:5], strict=True):  # a wrong answer confirmed
            q.record(r.id, reviewer="bob", action="confirm", mos=4)
            expected[r.id] = (i, other(y.iloc[i]))
        i, r = train[5], recs[5]  # alice confirms, bob corrects: bob's verdict stands
        q.record(r.id, reviewer="alice", action="confirm")
        q.record(r.id, reviewer="bob", action="correct", label=y.iloc[i], comment="clearly")
        expected[r.id] = (i, y.iloc[i])
        q.record(held_out.id, reviewer="alice", action="confirm")
        q.record(bad.id, reviewer="alice", action="correct", label=y.iloc[train[7]])
        q.record(recs[6].id, reviewer="carol", action="skip")  # skipped: still open
    return Reviewed(root, url, expected, held_out.id, bad.id, recs[6].id, quiet.id)


# -- the tests ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Reviewed:
    return review_some(served_project(tmp_path_factory.mktemp("feedback")))


def test_export_adds_exactly_the_reviewed_rows_with_the_settled_labels_and_lineage(
    reviewed: Reviewed,
) -> None:
    project = Project.load(reviewed.root)
    ds = project.dataset()
    res = export_feedback(reviewed.root)
    assert res.written and res.base_hash == ds.content_hash and res.base_rows == ds.n_rows
    assert [r.prediction_id for r in res.added] == list(reviewed.expected)
    assert res.rows == ds.n_rows + len(reviewed.expected)
    assert (res.corrected, res.confirmed) == (4, 2)
    assert res.reviewers == ["alice", "bob"] and res.versions == ["m v1"]
    skipped = {s.prediction_id: s.reason for s in res.skipped}
    assert set(skipped) == {reviewed.held_out_id, reviewed.bad_id}
    assert "held-out test row" in skipped[reviewed.held_out_id]
    assert "its inputs lack mean radius" in skipped[reviewed.bad_id]

    frame = project.object_store().get(res.hash)
    pd.testing.assert_frame_equal(frame.iloc[: ds.n_rows], ds.frame, check_dtype=False)
    added = frame.iloc[ds.n_rows :].reset_index(drop=True)
    for k, (pid, (row, label)) in enumerate(reviewed.expected.items()):
        assert added.loc[k, ds.target] == label, pid
        assert list(added[ds.features].iloc[k]) == list(ds.frame[ds.features].iloc[row])
    changed = next(r for r in res.added if r.reviewers == ["alice", "bob"])
    assert (changed.action, changed.reviewer) == ("correct", "bob")

    snap = project.object_store().show(res.hash)
    assert ds.content_hash[:12] in snap.source and "6 reviewed rows" in snap.source
    tracker = project.tracker()
    run = tracker.get_run(res.run_id)
    assert run.data.tags["candor.kind"] == KIND
    assert run.data.tags["candor.feedback.base_hash"] == ds.content_hash
    assert run.data.tags["candor.feedback.reviewers"] == "alice, bob"
    with tempfile.TemporaryDirectory() as tmp:
        doc_path = tracker.download(res.run_id, "feedback.json", Path(tmp))
        assert doc_path is not None
        doc = json.loads(doc_path.read_text())
    assert [r["prediction_id"] for r in doc["rows"]] == list(reviewed.expected)
    assert doc["base"] == {"hash": ds.content_hash, "rows": ds.n_rows, "source": ds.source}


def test_a_second_export_of_the_same_reviews_adds_nothing_and_new_reviews_add_only_themselves(
    reviewed: Reviewed,
) -> None:
    first = export_feedback(reviewed.root)
    again = export_feedback(reviewed.root, out=reviewed.root / "feedback.parquet")
    assert (again.hash, again.run_id, again.written) == (first.hash, first.run_id, False)
    assert "Already exported" in again.sentence
    assert len(pd.read_parquet(reviewed.root / "feedback.parquet")) == first.rows
    with PredictionLog(reviewed.log_url) as log:
        ReviewQueue(log).record(reviewed.open_id, reviewer="carol", action="confirm")
    later = export_feedback(reviewed.root)
    assert later.written and later.hash != first.hash
    assert later.rows == first.rows + 1
    assert [r.prediction_id for r in later.added][-1] == reviewed.open_id
    assert reviewed.quiet_id not in {r.prediction_id for r in later.added}


def test_training_on_an_export_keeps_the_projects_held_out_rows(reviewed: Reviewed) -> None:
    res = export_feedback(reviewed.root)
    project = Project.load(reviewed.root)
    ds = project.dataset()
    split = project.split(ds)
    data = training_data(project)
    assert data.dataset.content_hash == res.hash and data.added == len(res.added)
    assert data.split.test.tolist() == split.test.tolist()
    pd.testing.assert_frame_equal(
        data.dataset.frame.iloc[data.split.test], ds.frame.iloc[split.test]
    )
    feedback = set(range(ds.n_rows, data.dataset.n_rows))
    assert feedback <= set(data.split.train.tolist())
    assert set(data.split.train.tolist()) - feedback == set(split.train.tolist())


def test_an_export_as_the_projects_data_source_is_refused(reviewed: Reviewed) -> None:
    res = export_feedback(reviewed.root, out=reviewed.root / "exported.parquet")
    cfg = reviewed.root / "candor.toml"
    before = cfg.read_text()
    cfg.write_text(before.replace('"sklearn:breast_cancer"', '"exported.parquet"', 1))
    try:
        with pytest.raises(ConfigError, match="point it back at the original data"):
            export_feedback(reviewed.root)
    finally:
        cfg.write_text(before)
    assert res.hash


def test_export_without_reviews_or_without_a_log_says_what_to_do(tmp_path: Path) -> None:
    init_project(tmp_path, source="sklearn:iris")
    res = candor("feedback export", cwd=tmp_path)
    assert res.returncode == 2
    assert "no prediction log at" in flat(res.stderr) and "candor serve" in flat(res.stderr)
    assert "Traceback" not in res.stderr and res.stderr.count("error:") == 1
    ds = Project.load(tmp_path).dataset()
    with PredictionLog(default_log_url(tmp_path)) as log:
        log.append([as_record(ds, 0, "setosa", "low confidence: 0.5")]).result()
    with pytest.raises(DataError, match=r"no reviewed predictions.*/review"):
        export_feedback(tmp_path)
    with pytest.raises(DataError, match="is not a database URL"):
        export_feedback(tmp_path, log_url="not-a-url")
    with pytest.raises(DataError, match=r"give a \.parquet or \.csv"):
        export_feedback(tmp_path, out=tmp_path / "export.json")
