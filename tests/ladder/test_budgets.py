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


def test_a_time_budget_stops_a_rung_that_would_overrun_it_and_uses_the_rest() -> None:
    X, y = mixed_data(n=300)
    budget = 2.0  # the climb itself gets 1.5 s: a quarter is kept for refitting finalists
    starts: list[tuple[str, float]] = []

    def progress(event: str, info: dict[str, Any]) -> None:
        if event == "rung":
            starts.append((info["rung"], info["elapsed"]))

    ladder(X, y, rungs=["dummy"])  # warm up imports, so that the budget measures the climb
    # a rung whose five folds take at least 3 s: after its first fold it projects past the budget,
    # and is stopped about 1 s into the climb, leaving about 0.5 s to the rung after it
    with slowed_rung("sleepy", "dummy", fit_s=0.6) as sleepy:
        names = ["dummy", "linear", sleepy, "knn"]
        result = ladder(X, y, rungs=names, budget_s=budget, on_progress=progress)
    status = {r.name: r.status for r in result.rungs}
    assert status[sleepy] == "not run", [(r.name, r.status, r.reason) for r in result.rungs]
    reason = result.rung(sleepy).reason
    assert "of the budget of 2 s left" in reason and "first fold" in reason
    assert not result.rung(sleepy).scores
    assert status["dummy"] == status["linear"] == "done"
    # the time the slow rung did not take is left to the rungs after it
    assert status["knn"] == "done"
    assert result.budget_s == budget
    assert all(elapsed <= budget for _, elapsed in starts), starts
    # tolerance: at most one fold of the stopped rung (0.6 s) past the budget, plus refitting and
    # timing the few models the decision needs (under a second here) and 0.5 s for noise
    assert result.elapsed_s <= budget + 0.6 + 1.0 + 0.5, result.elapsed_s


def test_rungs_after_a_spent_budget_are_not_run() -> None:
    X, y = mixed_data(n=300)
    ladder(X, y, rungs=["dummy"])  # warm up imports
    # the first rung always starts; its first fold alone (0.1 s) spends the 0.05 s budget
    with slowed_rung("sleepy", "dummy", fit_s=0.1) as sleepy:
        result = ladder(X, y, rungs=[sleepy, "dummy", "linear"], budget_s=0.05)
    assert result.rung(sleepy).status == "not run"
    for name in ("dummy", "linear"):
        r = result.rung(name)
        assert r.status == "not run" and "budget of 0.05 s would be exceeded" in r.reason, r.reason
    assert result.recommended is None and "No rung finished" in result.sentence


def test_a_sub_second_budget_is_reported_as_given() -> None:
    X, y = mixed_data(n=300)
    with slowed_rung("sleepy", "dummy", fit_s=0.1) as sleepy:  # five folds: at least 0.5 s
        result = ladder(X, y, rungs=[sleepy, "dummy"], budget_s=0.25)
    stopped = result.rung(sleepy)
    assert stopped.status == "not run"
    assert "0.25" in stopped.reason, stopped.reason
