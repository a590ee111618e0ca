"""Tracking: runs land in the project's own SQLite store (or MLFLOW_TRACKING_URI), never in the cwd.

These tests use the real MLflow against SQLite files in temporary folders.
"""

from __future__ import annotations

import json
import math
import platform
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

from candor.errors import TrackingError
from candor.project import log_evaluation, make_workspace
from candor.stats import Estimate, Evaluation, evaluate
from candor.tracking import (
    Tracker,
    default_tracking_uri,
    environment_tags,
    estimate_metrics,
    git_commit,
)


def _evaluation() -> Evaluation:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 200)
    score = np.clip(0.3 * y + rng.uniform(0, 0.7, 200), 0, 1)
    return evaluate(y, (score > 0.5).astype(int), score, n_resamples=1_000, seed=3)


def _git_repo(folder: Path) -> str:
    def git(*args: str) -> str:
        out = subprocess.run(
            [
                "git",
                "-C",
                str(folder),
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "commit.gpgsign=false",
                *args,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    git("init", "-q")
    (folder / "README").write_text("project\n", encoding="utf-8")
    git("add", "README")
    git("commit", "-q", "-m", "first")
    return git("rev-parse", "HEAD")


def _run_count(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute("SELECT COUNT(*) FROM runs").fetchone()[0])


@dataclass(frozen=True)
class Logged:
    project: Path
    elsewhere: Path
    tracker: Tracker
    evaluation: Evaluation
    run_id: str
    commit: str
    run: Any


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Logged]:
    """One evaluation logged from a folder outside the project, with the default store."""
    root = tmp_path_factory.mktemp("tracking")
    project, elsewhere = root / "project", root / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    commit = _git_repo(project)
    ev = _evaluation()
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        mp.chdir(elsewhere)
        tracker = Tracker.for_workspace(make_workspace(project), experiment="churn")
        run_id = log_evaluation(
            tracker,
            ev,
            run_name="logistic",
            dataset_hash="abc123",
            project_root=project,
            params={"model": "logistic"},
        )
        run = tracker.get_run(run_id)
    yield Logged(project, elsewhere, tracker, ev, run_id, commit, run)


def test_run_lands_in_the_workspace_sqlite_file_and_nothing_in_the_current_folder(
    logged: Logged,
) -> None:
    db = logged.project / ".candor" / "mlflow.db"
    assert logged.tracker.uri == default_tracking_uri(logged.project / ".candor")
    assert db.is_file()
    assert _run_count(db) == 1
    assert list(logged.elsewhere.iterdir()) == []
    assert not (logged.project / "mlruns").exists()


def test_run_has_value_low_high_and_n_for_every_estimate(logged: Logged) -> None:
    metrics = logged.run.data.metrics
    assert logged.evaluation.metrics
    for name, est in logged.evaluation.metrics.items():
        assert metrics[name] == pytest.approx(est.value)
        assert metrics[f"{name}_low"] == pytest.approx(est.low)
        assert metrics[f"{name}_high"] == pytest.approx(est.high)
        assert metrics[f"{name}_n"] == est.n


def test_run_is_tagged_with_the_dataset_hash_task_methods_and_commit(logged: Logged) -> None:
    tags = logged.run.data.tags
    assert tags["candor.dataset_hash"] == "abc123"
    assert tags["candor.kind"] == "evaluation"
    assert tags["candor.task"] == "binary"
    assert tags["candor.git_commit"] == logged.commit
    for name, est in logged.evaluation.metrics.items():
        assert tags[f"candor.method.{name}"] == est.method


def test_run_is_tagged_with_python_and_package_versions(logged: Logged) -> None:
    tags = logged.run.data.tags
    assert tags["candor.env.python"] == platform.python_version()
    for pkg in ("candor", "numpy", "pandas", "scikit-learn", "mlflow"):
        assert tags[f"candor.env.{pkg}"]


def test_run_records_level_seed_rows_and_caller_params(logged: Logged) -> None:
    params = logged.run.data.params
    assert params["level"] == "0.95"
    assert params["seed"] == "3"
    assert params["n_rows"] == "200"
    assert params["model"] == "logistic"
    assert logged.run.info.run_name == "logistic"
    assert logged.run.info.status == "FINISHED"


def test_run_holds_the_evaluation_document_inside_the_workspace(logged: Logged) -> None:
    artifacts = Path(unquote(urlparse(logged.run.info.artifact_uri).path))
    assert artifacts.is_relative_to(logged.project / ".candor")
    document = json.loads((artifacts / "evaluation.json").read_text(encoding="utf-8"))
    assert document == json.loads(json.dumps(logged.evaluation.to_dict()))


def test_mlflow_tracking_uri_overrides_the_default_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_db = tmp_path / "team" / "mlflow.db"
    team_db.parent.mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{team_db}")
    monkeypatch.chdir(tmp_path)
    workspace = make_workspace(tmp_path / "project")
    tracker = Tracker.for_workspace(workspace)
    assert tracker.uri == f"sqlite:///{team_db}"
    log_evaluation(tracker, _evaluation(), run_name="shared")
    assert _run_count(team_db) == 1
    assert not (workspace / "mlflow.db").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project", "team"]


def test_an_explicit_uri_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example:5000")
    assert Tracker.for_workspace(tmp_path, uri="sqlite:///x.db").uri == "sqlite:///x.db"
    server = Tracker.for_workspace(tmp_path, experiment="churn")
    assert (server.uri, server.experiment) == ("http://mlflow.example:5000", "churn")
    # a server keeps its own artifacts; only the embedded store puts them in the workspace
    assert server.artifact_location is None


def test_mlflow_failures_become_a_tracking_error_that_names_the_uri() -> None:
    tracker = Tracker("nosuchscheme://store", "candor", None)
    with pytest.raises(TrackingError) as info:
        tracker.log_run("r", metrics={"accuracy": 0.9})
    assert "nosuchscheme://store" in str(info.value)
    assert "MLFLOW_TRACKING_URI" in str(info.value)


def test_estimate_metrics_gives_value_bounds_and_n_and_drops_nan() -> None:
    out = estimate_metrics(
        "test_",
        {
            "accuracy": Estimate(0.9, 0.85, 0.94, 0.95, 200, "Wilson"),
            "roc_auc": Estimate(math.nan, math.nan, math.nan, 0.95, 200, "DeLong"),
        },
    )
    assert out == {
        "test_accuracy": 0.9,
        "test_accuracy_low": 0.85,
        "test_accuracy_high": 0.94,
        "test_accuracy_n": 200,
        "test_roc_auc_n": 200,
    }


def test_environment_tags_name_python_and_packages() -> None:
    tags = environment_tags()
    assert tags["candor.env.python"] == platform.python_version()
    assert {"candor.env.numpy", "candor.env.mlflow", "candor.env.platform"} <= set(tags)


def test_git_commit_is_none_outside_a_repository(tmp_path: Path) -> None:
    assert git_commit(tmp_path) is None
