"""Latency and time budgets: what fits, what is left out, and how long the climb takes."""

from __future__ import annotations

from typing import Any

from candor.ladder import ladder
from tests.ladder._data import linear_data, mixed_data
from tests.ladder._slow import slowed_rung


def test_a_latency_budget_nothing_meets_recommends_nothing() -> None:
    X, y = linear_data(n=400, k=5)
    result = ladder(X, y, rungs=["dummy", "linear"], latency_budget_ms=1e-6)
    assert result.recommended is None
    assert result.sentence.startswith("No rung fits the budgets"), result.sentence
    assert "over the budget" in result.sentence
    # both were measured before giving up, and both are over
    for r in result.rungs:
        assert r.status == "done" and r.latency is not None
        assert r.latency.single_p99_ms.value > 1e-6


def test_a_latency_budget_leaves_out_only_the_slow_rung() -> None:
    # A real random forest predicts one row in ~10 ms and logistic regression in ~2 ms, but with
    # the test workers sharing two cores a p99 of 30-50 calls swings from 6 to 24 ms for either,
    # so the slow rung here is gradient boosting with a 60 ms sleep in every predict call.
    budget_ms = 40.0
    X, y = mixed_data(n=600)
    with slowed_rung("slow_gb", "hist_gb", predict_s=0.06) as slow:
        result = ladder(X, y, rungs=["dummy", "linear", slow], latency_budget_ms=budget_ms)
    assert result.leader == slow, "the data is built for trees to win"
    assert result.comparisons["linear"]["verdict"] == "A is better"
    leader = result.rung(slow)
    assert leader.latency is not None and leader.latency.single_p99_ms.value >= 60.0
    assert result.recommended == "linear", result.sentence
    pick = result.rung("linear")
    assert pick.latency is not None
    assert pick.latency.single_p99_ms.value <= budget_ms
    # the best that fits, not merely anything that fits: the class prior fits too
    assert pick.scores["roc_auc"].low > result.rung("dummy").scores["roc_auc"].high
    assert "best rung within the budgets" in result.sentence
    assert f"over the budget of {budget_ms:g} ms" in result.sentence
    assert "is better by" in result.sentence


def test_a_time_budget_leaves_later_rungs_not_run() -> None:
    X, y = mixed_data(n=300)
    budget = 1.0
    starts: list[tuple[str, float]] = []

    def progress(event: str, info: dict[str, Any]) -> None:
        if event == "rung":
            starts.append((info["rung"], info["elapsed"]))

    ladder(X, y, rungs=["dummy"])  # warm up imports, so that the budget measures the climb
    # a rung whose five folds take at least 2 s: it starts inside the budget and ends outside
    with slowed_rung("sleepy", "dummy", fit_s=0.4) as sleepy:
        alone = ladder(X, y, rungs=[sleepy])  # the longest rung on its own, refit included
        names = ["dummy", "linear", sleepy, "hist_gb", "knn"]
        result = ladder(X, y, rungs=names, budget_s=budget, on_progress=progress)
    status = {r.name: r.status for r in result.rungs}
    assert status == {
        "dummy": "done",
        "linear": "done",
        sleepy: "done",
        "hist_gb": "not run",
        "knn": "not run",
    }, [(r.name, r.status, r.reason) for r in result.rungs]
    for name in ("hist_gb", "knn"):
        assert "budget" in result.rung(name).reason
        assert not result.rung(name).scores and result.rung(name).model is None
    assert result.budget_s == budget
    assert result.recommended == "linear"
    # no rung starts once the budget is spent
    assert [name for name, _ in starts] == ["dummy", "linear", sleepy]
    assert all(elapsed <= budget for _, elapsed in starts), starts
    # tolerance: the rung running when the budget runs out finishes, so the climb may take the
    # budget plus the longest rung; alone.elapsed_s is that rung on its own (about 2.5 s, its
    # refit included), and we allow 1.5 times it for timing noise plus 0.5 s fixed overhead
    assert alone.elapsed_s >= 2.0
    assert result.elapsed_s <= budget + 1.5 * alone.elapsed_s + 0.5, (
        result.elapsed_s,
        alone.elapsed_s,
    )


def test_a_sub_second_budget_is_reported_as_given() -> None:
    X, y = mixed_data(n=300)
    with slowed_rung("sleepy", "dummy", fit_s=0.1) as sleepy:  # five folds: at least 0.5 s
        result = ladder(X, y, rungs=[sleepy, "dummy"], budget_s=0.25)
    dummy = result.rung("dummy")
    assert dummy.status == "not run"
    assert "0.25" in dummy.reason, dummy.reason
