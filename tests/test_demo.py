"""``candor demo`` end to end, as a newcomer runs it, in a folder that holds only a file of theirs.

The demo (an audit, a ladder of every rung, a forecast, a sizing, two registrations, a serving tour)
runs once for this module, through ``main()`` in this process; ``--json`` then prints that same
run's result, so that the two renderings are checked without paying for the loop twice.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

import candor.demo
from tests._in_process import candor_in_process, returns_of
from tests._subprocess import flat as _flat

pytestmark = pytest.mark.slow


def _runs(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT r.run_uuid, r.status, t.value FROM runs r JOIN tags t"
            " ON t.run_uuid = r.run_uuid AND t.key = 'candor.dataset_hash'"
        ).fetchall()


def _every_estimate(document: object) -> list[dict[str, float]]:
    """Every dict shaped like an Estimate anywhere in a JSON document."""
    if isinstance(document, dict):
        found = [document] if {"value", "low", "high", "n", "method"} <= set(document) else []
        return found + [e for v in document.values() for e in _every_estimate(v)]
    if isinstance(document, list):
        return [e for v in document for e in _every_estimate(v)]
    return []


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str], Any]:
    """``candor demo --dir X`` run once: its folder, its output, and the result it rendered."""
    cwd = tmp_path_factory.mktemp("demo")
    (cwd / "notes.txt").write_text("mine\n", encoding="utf-8")
    with returns_of(candor.demo, "run_demo") as results:
        res = candor_in_process("demo --dir X --resamples 1000", cwd=cwd)
    assert res.returncode == 0, res.stderr
    assert len(results) == 1
    return cwd, res, results[0]


def test_demo_prints_a_leaderboard_and_a_comparison_and_writes_only_in_its_folder(
    demo_run: tuple[Path, subprocess.CompletedProcess[str], Any],
) -> None:
    tmp_path, res, _ = demo_run
    assert "Traceback" not in res.stderr
    out = _flat(res.stdout)
    # the trap first: the leaky split's too-good score, the audit's finding, the honest score
    assert out.index("First, the trap") < out.index("Ladder:")
    leak = demo_run[2].leak
    assert leak.leaky["accuracy"].value > leak.honest["accuracy"].value + 0.03
    assert leak.leaky["accuracy"].low > leak.honest["accuracy"].high  # the intervals do not touch
    assert leak.audit.verdict == "error" and "identical twin in train" in leak.finding.text
    assert "Too good to be true" in out and "Fix: deduplicate before splitting" in out
    assert "On the project's honest split the same model scores" in out
    assert "Leaderboard" in out
    for model in ("logistic regression", "random forest", "gradient boosting", "dummy (prior)"):
        assert all(word in out for word in model.split())
    assert "Paired comparison (roc_auc)" in out
    assert "difference" in out and "n=143" in out
    assert "What the test set supports" in out
    assert "Ladder: ROC AUC, out of fold on 426 rows" in out
    assert "Use logistic regression" in out or "Use " in out
    assert "Forecast:" in out and "With 10x the data" in out
    # the recommended model registered and promoted through the gates; the dummy refused
    registry = out[out.index("Registry") :]
    assert "Registered breast-cancer v1 as @candidate" in registry
    assert "min_acceptable: passed: held-out roc_auc" in registry
    assert "Promoted breast-cancer v1 to @champion: all 4 gate(s) passed" in registry
    assert "breast-cancer v2 was not promoted" in registry and "beats_champion: FAILED" in registry
    # the champion served for a moment: the held-out rows as traffic, the doubtful ones reviewed
    served = out[out.index("Serving breast-cancer@champion") :]
    assert "served the 143 held-out rows on 127.0.0.1" in served
    assert "went to the review queue" in served and "Exception rate" in served
    assert "n=143, Wilson 95%" in served and "order statistics" in served
    # the summary ends with what serving the recommended model takes and costs, then the report
    serving = out[out.rindex("Serving the recommended model") :]
    assert "on disk" in serving and "p99" in serving and "/month" in serving
    assert "Report" in serving and "report.html" in serving
    assert (tmp_path / "X" / "report.html").stat().st_size > 20_000
    # one page of many figures, the forecast's drawn in another process: no id twice, and every
    # url(#...) and href="#..." points at an id on the page
    html = (tmp_path / "X" / "report.html").read_text(encoding="utf-8")
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) > 100 and len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1][:5]
    refs = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', html))
    assert refs and refs <= set(ids), sorted(refs - set(ids))[:5]

    assert sorted(p.name for p in tmp_path.iterdir()) == ["X", "notes.txt"]
    assert (tmp_path / "X" / "candor.toml").is_file()
    runs = _runs(tmp_path / "X" / ".candor" / "mlflow.db")
    # the audit, the ladder (a parent run and one nested run per rung), the forecast and the
    # sizing of the recommended rung, two registrations, one evaluation per model, the report
    assert len(runs) == 1 + 1 + 12 + 1 + 1 + 2 + 5 + 1  # 4 models and the champion
    assert {status for _, status, _ in runs} == {"FINISHED"}
    assert len({dataset_hash for _, _, dataset_hash in runs}) == 1


def test_demo_json_gives_every_metric_inside_its_interval(
    demo_run: tuple[Path, subprocess.CompletedProcess[str], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path, _, result = demo_run
    # the module's demo run again, printed as --json prints it
    monkeypatch.setattr(candor.demo, "run_demo", lambda *args, **kwargs: result)
    res = candor_in_process("demo --dir X --resamples 1000 --json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert (out["n_train"], out["n_test"], out["primary"]) == (426, 143, "roc_auc")
    board = out["leaderboard"]
    assert len(board) == 5 == len(out["run_ids"])
    assert "the champion: linear (v1)" in {row["model"] for row in board}
    fc = out["forecast"]["forecast"]
    assert fc["rung"] == out["ladder"]["recommended"]
    assert out["forecast"]["rung_source"] == "the last ladder's recommendation"
    full = fc["at_full"]["score"]
    assert full["low"] <= full["value"] <= full["high"] <= 1.0
    size = out["size"]["size"]
    assert size["name"] == out["ladder"]["recommended"]
    assert size["measurement"]["single_p99_ms"]["n"] >= 400 and size["placement"]["monthly_usd"] > 0
    primary = [row["metrics"]["roc_auc"]["value"] for row in board]
    assert primary == sorted(primary, reverse=True)
    tour = out["serving"]
    assert tour["served"] == 143 and tour["kpis"]["served"] == 143
    assert tour["reviewed"] == tour["routed"] and tour["corrected"] <= tour["routed"]
    assert out["report"]["path"].endswith("report.html")
    assert (out["comparison"]["name_a"], out["comparison"]["name_b"]) == (
        board[0]["model"],
        board[1]["model"],
    )
    for row in board:
        assert set(row["metrics"]) == {"roc_auc", "accuracy", "f1", "brier", "log_loss"}
    estimates = _every_estimate({k: out[k] for k in ("leaderboard", "comparison")})
    assert len(estimates) == 5 * 5 + 3
    for est in estimates:
        assert est["low"] <= est["value"] <= est["high"], est
        assert est["n"] == 143
    ladder = out["ladder"]
    assert ladder["recommended"] in {r["name"] for r in ladder["rungs"]}
    assert ladder["sentence"].startswith("Use ")
    assert ladder["held_out"]["n_test"] == 143
    held = ladder["held_out"]["scores"]["roc_auc"]
    assert held["low"] <= held["value"] <= held["high"]
