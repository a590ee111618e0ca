"""Successive halving: on large data a first pass on a subsample stops hopeless rungs early."""

from __future__ import annotations

from typing import Any

from candor.ladder import ladder
from candor.ladder._climb import HALVING_FIRST_ROWS, HALVING_MIN_ROWS, HALVING_SHARE
from candor.stats import Estimate
from tests.ladder._data import linear_data


def test_a_hopeless_rung_is_stopped_after_the_first_pass() -> None:
    n = HALVING_MIN_ROWS
    X, y = linear_data(n=n, k=8, flip=0.02)
    events: list[tuple[str, str, int]] = []

    def progress(event: str, info: dict[str, Any]) -> None:
        events.append((event, info["rung"], info["rows"]))

    result = ladder(X, y, rungs=["dummy", "linear", "hist_gb"], on_progress=progress)
    n0 = max(HALVING_FIRST_ROWS, int(n * HALVING_SHARE))
    for r in result.rungs:
        assert isinstance(r.first_pass, Estimate), r.name
        assert r.first_pass.n == n0 and r.first_pass.low <= r.first_pass.value <= r.first_pass.high
    dummy = result.rung("dummy")
    assert dummy.status == "stopped early"
    assert "first pass" in dummy.reason and f"{n0:,} rows" in dummy.reason
    assert not dummy.scores  # not refitted on all rows
    assert dummy.first_pass is not None
    assert dummy.first_pass.high < result.rung("linear").first_pass.low  # type: ignore[union-attr]
    # the rule: a rung whose first-pass interval lies wholly below the first-pass leader's stops
    lead = max(result.rungs, key=lambda r: r.first_pass.value)  # type: ignore[union-attr]
    assert lead.name == "linear" and lead.status == "done"
    survivors = []
    for r in result.rungs:
        assert r.first_pass is not None and lead.first_pass is not None
        if r.first_pass.high < lead.first_pass.low:
            assert r.status == "stopped early" and not r.scores, r.name
        else:
            assert r.status == "done", (r.name, r.reason)
            assert r.scores["roc_auc"].n == n
            survivors.append(r.name)
    assert result.recommended == "linear", result.sentence
    # every rung had a first pass on the subsample; only the survivors ran on all rows
    assert [e for e in events if e[0] == "first pass"] == [
        ("first pass", name, n0) for name in ("dummy", "linear", "hist_gb")
    ]
    assert [e for e in events if e[0] == "rung"] == [("rung", name, n) for name in survivors]


def test_no_first_pass_below_the_threshold() -> None:
    X, y = linear_data(n=HALVING_MIN_ROWS - 1, k=4)
    result = ladder(X, y, rungs=["dummy", "linear", "decision_tree"])
    assert all(r.first_pass is None for r in result.rungs)
    assert all(r.status == "done" for r in result.rungs)
