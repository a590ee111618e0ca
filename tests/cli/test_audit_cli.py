"""``candor audit`` as CI runs it: exit codes, JSON, clear errors. The failing CI run is a real
subprocess; the other commands run in this process (the same output and exit code, without an
interpreter's start-up each)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from candor.project import init_project
from tests._in_process import candor_in_process
from tests._subprocess import candor
from tests._subprocess import flat as _flat


def _split_files(folder: Path, leak: bool) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=400), "z": rng.normal(size=400)})
    frame["y"] = (frame["x"] + rng.normal(size=400) > 0).astype(int)
    train, test = frame.iloc[:300], frame.iloc[300:].copy()
    if leak:
        test.iloc[:20] = train.iloc[:20].to_numpy()
    train.to_csv(folder / "train.csv", index=False)
    test.to_parquet(folder / "test.parquet", index=False)


def test_audit_fails_ci_on_planted_duplicates_and_passes_on_clean_files(tmp_path: Path) -> None:
    _split_files(tmp_path, leak=True)
    res = candor("audit --train train.csv --test test.parquet --target y --json", cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    out = json.loads(res.stdout)
    assert out["verdict"] == "error" and out["mlflow_run_id"]
    dup = [f for f in out["findings"] if f["check"] == "exact_duplicates"]
    assert dup[0]["count"] == 20 and dup[0]["denominator"] == 100
    assert (tmp_path / ".candor" / "mlflow.db").is_file()
    never = candor_in_process(
        "audit --train train.csv --test test.parquet --target y --fail-on never --no-track "
        "--html audit.html",
        cwd=tmp_path,
    )
    assert never.returncode == 0 and "verdict error" in _flat(never.stdout)
    fragment = (tmp_path / "audit.html").read_text()
    assert fragment.startswith('<section class="candor-audit">') and "<script" not in fragment
    assert "exact_duplicates" in fragment and "20 / 100 test rows" in fragment
    _split_files(tmp_path, leak=False)
    clean = candor_in_process(
        "audit --train train.csv --test test.parquet --target y --no-track", cwd=tmp_path
    )
    assert clean.returncode == 0, clean.stdout


def test_audit_of_a_project_and_its_errors(tmp_path: Path) -> None:
    init_project(tmp_path, source="sklearn:breast_cancer")
    res = candor_in_process("audit --no-track", cwd=tmp_path)
    assert res.returncode == 0 and "Audit of 426 train and 143 test rows" in _flat(res.stdout)
    missing = candor_in_process("audit --train nope.csv --target y", cwd=tmp_path)
    assert missing.returncode == 2 and "does not exist" in _flat(missing.stderr)
    assert "Traceback" not in missing.stderr
    bad = candor_in_process("audit --fail-on sometimes", cwd=tmp_path)
    assert bad.returncode == 2 and "--fail-on" in _flat(bad.stderr)
