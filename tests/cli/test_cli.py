"""The command line: exit codes, messages, and what it writes where. Help, version and a recorded
evaluation run as real subprocesses; the other commands in this process (the same output and exit
code, without an interpreter's start-up each)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from candor.project import init_project
from tests._in_process import candor_in_process
from tests._subprocess import candor
from tests._subprocess import flat as _flat

BROKEN_CONFIG = '[project]\nname = "x"\n\n[data]\nsource = "sklearn:iris"\ntargte = "target"\n'


def _assert_clean_failure(res: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    message = _flat(res.stderr)
    assert "error:" in message
    for fragment in fragments:
        assert fragment in message


def _runs(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT run_uuid, status FROM runs").fetchall()


@pytest.fixture
def preds(tmp_path: Path) -> Path:
    """300 binary predictions: labels, a positive-class probability, and one column per class."""
    rng = np.random.default_rng(0)
    n = 300
    y = rng.integers(0, 2, n)
    p = np.clip(0.35 * y + rng.uniform(0, 0.65, n), 0, 1)
    pd.DataFrame({"y": y, "yhat": (p > 0.5).astype(int), "p": p, "p0": 1 - p, "p1": p}).to_csv(
        tmp_path / "preds.csv", index=False
    )
    return tmp_path / "preds.csv"


def test_help_and_version_work_without_a_project(tmp_path: Path) -> None:
    res = candor("--help", cwd=tmp_path)
    assert res.returncode == 0
    for command in ("init", "evaluate", "demo"):
        assert command in res.stdout
    res = candor("--version", cwd=tmp_path)
    assert (res.returncode, res.stdout.strip()) == (0, f"candor {version('candor')}")
    assert list(tmp_path.iterdir()) == []


def test_init_writes_a_project_and_refuses_to_overwrite_it(tmp_path: Path) -> None:
    first = candor_in_process("init --name churn", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    config = tmp_path / "candor.toml"
    assert config.is_file()
    assert (tmp_path / ".candor" / ".gitignore").is_file()
    written = config.read_text(encoding="utf-8")

    again = candor_in_process("init", cwd=tmp_path)
    _assert_clean_failure(again, "candor.toml already exists", "--force")
    assert config.read_text(encoding="utf-8") == written


def test_init_on_a_file_without_target_fails_cleanly_and_writes_nothing(tmp_path: Path) -> None:
    res = candor_in_process("init churn --source data.csv", cwd=tmp_path)
    _assert_clean_failure(res, "name the target column of data.csv", "--target")
    assert list(tmp_path.iterdir()) == []


def test_init_message_names_the_sections_to_edit(tmp_path: Path) -> None:
    res = candor_in_process("init", cwd=tmp_path)
    assert "[data]" in res.stdout
    assert "[metric]" in res.stdout


def test_evaluate_json_reports_every_metric_with_its_interval_and_records_a_run(
    preds: Path,
) -> None:
    cwd = preds.parent
    res = candor(
        "evaluate preds.csv --target y --pred yhat --proba p --json --resamples 1000", cwd=cwd
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["task"], out["n"], out["level"]) == ("binary", 300, 0.95)
    assert {"accuracy", "roc_auc", "brier", "log_loss"} <= set(out["metrics"])
    for name, est in out["metrics"].items():
        assert {"value", "low", "high", "n", "method"} <= set(est), name
        assert est["low"] <= est["value"] <= est["high"], name
        assert est["n"] == 300
        assert est["method"]
    # no project here: the run goes to ./.candor, and nothing else is written
    assert sorted(p.name for p in cwd.iterdir()) == [".candor", "preds.csv"]
    assert _runs(cwd / ".candor" / "mlflow.db") == [(out["mlflow_run_id"], "FINISHED")]


def test_evaluate_in_a_project_subfolder_records_in_the_project_workspace(
    tmp_path: Path, preds: Path
) -> None:
    init_project(tmp_path, name="churn")
    sub = tmp_path / "results"
    sub.mkdir()
    preds.rename(sub / "preds.csv")
    res = candor_in_process(
        "evaluate preds.csv --target y --proba p --metric roc_auc --json", cwd=sub
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert list(out["metrics"]) == ["roc_auc"]
    assert [p.name for p in sub.iterdir()] == ["preds.csv"]
    db = tmp_path / ".candor" / "mlflow.db"
    assert _runs(db) == [(out["mlflow_run_id"], "FINISHED")]
    with sqlite3.connect(db) as con:
        experiment = con.execute(
            "SELECT e.name FROM runs r JOIN experiments e ON e.experiment_id = r.experiment_id"
        ).fetchone()[0]
    assert experiment == "churn"


def test_evaluate_no_track_prints_tables_and_writes_no_workspace(preds: Path) -> None:
    cwd = preds.parent
    res = candor_in_process(
        "evaluate preds.csv --target y --pred yhat --proba p0 --proba p1 --resamples 1000 --no-track",
        cwd=cwd,
    )
    assert res.returncode == 0, res.stderr
    assert "What these numbers support" in res.stdout
    assert "Wilson" in res.stdout
    assert "recorded in MLflow" not in res.stdout
    assert [p.name for p in cwd.iterdir()] == ["preds.csv"]


@pytest.mark.parametrize(
    ("command", "fragments", "config"),
    [
        pytest.param(
            "missing.csv --target y --pred yhat",
            ["missing.csv", "does not exist"],
            None,
            id="missing-file",
        ),
        pytest.param(
            "preds.csv --target yy --pred yhat",
            ["has no column 'yy'", "did you mean 'y'?"],
            None,
            id="missing-column",
        ),
        pytest.param(
            "header_only.csv --target y --pred yhat",
            ["header_only.csv has no rows"],
            None,
            id="empty-csv",
        ),
        pytest.param(
            "nan_target.csv --target y --pred yhat",
            ["1 missing values"],
            None,
            id="nan-in-target",
        ),
        pytest.param(
            "preds.csv --target y --pred yhat --metric roc_acu",
            ["unknown metric 'roc_acu'", "Did you mean 'roc_auc'?"],
            None,
            id="unknown-metric",
        ),
        pytest.param(
            "preds.csv --target y --proba p0 --proba p1 --proba p",
            ["y_score has 3 columns but there are 2 classes"],
            None,
            id="proba-column-count",
        ),
        pytest.param(
            "preds.csv --target y --pred yhat --level 2",
            ["level must be between 0 and 1", "got 2.0"],
            None,
            id="level-2",
        ),
        pytest.param(
            "preds.csv --target y --pred yhat",
            ["candor.toml", "'data.targte'", "'data.target'"],
            BROKEN_CONFIG,
            id="broken-config",
        ),
    ],
)
def test_evaluate_errors_exit_non_zero_with_a_message_and_no_traceback(
    preds: Path, command: str, fragments: list[str], config: str | None
) -> None:
    cwd = preds.parent
    (cwd / "header_only.csv").write_text("y,yhat\n", encoding="utf-8")
    (cwd / "nan_target.csv").write_text("y,yhat\n1,1\n,0\n0,0\n", encoding="utf-8")
    if config is not None:
        (cwd / "candor.toml").write_text(config, encoding="utf-8")
    before = sorted(p.name for p in cwd.iterdir())
    _assert_clean_failure(candor_in_process(f"evaluate {command}", cwd=cwd), *fragments)
    # a failed command leaves nothing behind: no .candor, no half-written store
    assert sorted(p.name for p in cwd.iterdir()) == before


def test_error_messages_print_square_brackets_verbatim(preds: Path) -> None:
    res = candor_in_process("evaluate preds.csv --target '[/x]' --pred yhat", cwd=preds.parent)
    _assert_clean_failure(res, "has no column '[/x]'")


_INTERRUPTED = """
import os, signal, sys
import candor.forecast._run as run

measure = run.measure_anchors

def measure_then_ctrl_c(*args, **kwargs):  # Ctrl-C while the rung is being fitted
    os.kill(os.getpid(), signal.SIGINT)
    return measure(*args, **kwargs)

run.measure_anchors = measure_then_ctrl_c
sys.argv = ["candor", "forecast", "--rung", "linear"]
from candor.cli import main
main()
"""


def test_ctrl_c_says_candor_stopped_and_records_nothing(tmp_path: Path) -> None:
    import os
    import sys

    init_project(tmp_path, source="sklearn:breast_cancer")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    res = subprocess.run(
        [sys.executable, "-c", _INTERRUPTED],
        cwd=tmp_path,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert res.returncode == 130, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert "interrupted (Ctrl-C): candor stopped" in _flat(res.stderr)
    # no forecast run was recorded, and no file was left behind
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
