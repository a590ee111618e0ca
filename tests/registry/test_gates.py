"""Each gate judges its evidence by the interval's pessimistic side, and says so with figures."""

from __future__ import annotations

import numpy as np

from candor.registry._gates import judge_audit, judge_budgets, judge_champion, judge_min_acceptable
from candor.stats import Estimate, compare


def test_audit_gate_blocks_errors_and_a_missing_audit_but_not_warnings() -> None:
    assert not judge_audit(None, None, {}).passed
    err = judge_audit("error", "r1", {"error": 2, "warning": 1, "info": 0})
    assert not err.passed and "2 error(s), 1 warning(s)" in err.evidence and "r1" in err.evidence
    assert judge_audit("warning", "r2", {"error": 0, "warning": 3, "info": 1}).passed


def test_min_acceptable_reads_the_lower_bound_or_for_losses_the_upper() -> None:
    auc = Estimate(0.95, 0.89, 0.98, 0.95, 200, "DeLong")
    assert judge_min_acceptable("roc_auc", auc, 0.85, True).passed
    # the point clears 0.90, the pessimistic bound does not
    blocked = judge_min_acceptable("roc_auc", auc, 0.90, True)
    assert not blocked.passed and "lower bound 0.890 is short of" in blocked.evidence
    rmse = Estimate(3.0, 2.5, 3.6, 0.95, 200, "bootstrap")
    assert not judge_min_acceptable("rmse", rmse, 3.5, False).passed
    assert judge_min_acceptable("rmse", rmse, 4.0, False).passed
    assert judge_min_acceptable("roc_auc", None, None, True).passed
    assert not judge_min_acceptable("roc_auc", None, 0.8, True).passed


def _comparison(shift: float, n: int = 400, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    base = np.clip(y * 0.6 + rng.normal(0.2, 0.25, n), 0, 1)
    other = np.clip(base + shift * (1 - 2 * y) + rng.normal(0, 0.05, n), 0, 1)
    return compare(y, score_a=other, score_b=base, metric="roc_auc", names=("new", "old"))


def test_champion_gate_passes_the_same_model_and_blocks_a_clearly_worse_one() -> None:
    same = _comparison(0.0)
    assert judge_champion(same, "v1", 0.02, True).passed
    worse = _comparison(0.4)  # scores pushed the wrong way: AUC drops by far more than 0.02
    verdict = judge_champion(worse, "v1", 0.02, True)
    assert not verdict.passed and "may be worse than v1" in verdict.evidence
    assert "DeLong" in verdict.evidence and "n=400 rows" in verdict.evidence
    assert judge_champion(None, None, 0.0, True).passed  # no champion yet


def test_champion_gate_margin_is_read_at_the_pessimistic_bound() -> None:
    c = _comparison(0.0)
    d = c.difference
    assert d.low < 0  # the same model with noise: the interval dips below zero
    assert not judge_champion(c, "v1", 0.0, True).passed  # margin 0: "no worse" is unprovable
    assert judge_champion(c, "v1", -d.low + 1e-9, True).passed


def test_budgets_gate_needs_every_budget_within() -> None:
    budgets = {"latency_p99_ms": 50.0, "model_mb": 100.0, "monthly_usd": None}
    assert judge_budgets({"model_mb": None}, {}, {}, "").passed  # none set
    assert not judge_budgets(budgets, {}, {}, "").passed  # set, not sized
    ok = judge_budgets(budgets, {"latency_p99_ms": "within", "model_mb": "within"}, {}, "s1")
    assert ok.passed and "s1" in ok.evidence
    over = judge_budgets(
        budgets,
        {"latency_p99_ms": "over", "model_mb": "within"},
        {"latency_p99_ms": "p99 80 ms"},
        "",
    )
    assert not over.passed and "latency_p99_ms over 50 (p99 80 ms)" in over.evidence
    assert not judge_budgets(
        budgets, {"latency_p99_ms": "unclear", "model_mb": "within"}, {}, ""
    ).passed
