"""Latency and time budgets: what fits, what is left out, and how long the climb takes.

The budgets are checked on a ``VirtualClock``: the slowed rungs' sleeps are the only thing that
takes time, so each decision is exact however busy the machine is, and no test waits on a sleep.
"""

from __future__ import annotations

from typing import Any

import pytest

import candor.ladder._climb
import candor.ladder._measure
from candor.ladder import ladder
from tests.ladder._data import linear_data, mixed_data
from tests.ladder._slow import VirtualClock, slowed_rung


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    """The clock the climb checks its time budget on, moved only by the slowed rungs' sleeps.

    The latency timer keeps the real clock: on the virtual one a fast model takes no time, and
    ``predict_latency``, which times calls until a tenth of a second is spent, would make all 300.
    """
    clock = VirtualClock()
    monkeypatch.setattr(candor.ladder._climb, "time", clock)
    return clock


def test_a_latency_budget_nothing_meets_recommends_nothing() -> None:
    # real timings: any model takes more than a nanosecond per row
    X, y = linear_data(n=400, k=5)
    result = ladder(X, y, rungs=["dummy", "linear"], latency_budget_ms=1e-6)
    assert result.recommended is None
    assert result.sentence.startswith("No rung fits the budgets"), result.sentence
    assert "over the budget" in result.sentence
    # both were measured before giving up, and both are over
    for r in result.rungs:
        assert r.status == "done" and r.latency is not None
        assert r.latency.single_p99_ms.value > 1e-6


def test_a_latency_budget_leaves_out_only_the_slow_rung(monkeypatch: pytest.MonkeyPatch) -> None:
    # On real clocks a random forest (~10 ms a row) and logistic regression (~2 ms) both swing
    # from 6 to 24 ms at p99 when the test workers share two cores, and more on a busier machine.
    # Here the ladder reads a virtual clock on which every call takes 1 ms and the slow rung,
    # gradient boosting with a 60 ms sleep in every predict call, 61 ms: the budget of 40 ms
    # leaves out the slow rung alone.
    clock = VirtualClock(tick=0.001)
    monkeypatch.setattr(candor.ladder._climb, "time", clock)
    monkeypatch.setattr(candor.ladder._measure, "time", clock)
    budget_ms = 40.0
    X, y = mixed_data(n=600)
    with slowed_rung("slow_gb", "hist_gb", predict_s=0.06, sleep=clock.sleep) as slow:
        result = ladder(X, y, rungs=["dummy", "linear", slow], latency_budget_ms=budget_ms)
    assert result.leader == slow, "the data is built for trees to win"
    assert result.comparisons["linear"]["verdict"] == "A is better"
    leader = result.rung(slow)
    assert leader.latency is not None
    assert leader.latency.single_p99_ms.value == pytest.approx(61.0)
    assert leader.model_rows.startswith("all "), "the leader's latency is its final model's"
    assert result.recommended == "linear", result.sentence
    pick = result.rung("linear")
    assert pick.latency is not None
    assert pick.latency.single_p99_ms.value == pytest.approx(1.0)
    # the best that fits, not merely anything that fits: the class prior fits too
    assert pick.scores["roc_auc"].low > result.rung("dummy").scores["roc_auc"].high
    assert "best rung within the budgets" in result.sentence
    assert f"over the budget of {budget_ms:g} ms" in result.sentence
    assert "is better by" in result.sentence


def test_a_time_budget_stops_a_rung_that_would_overrun_it_and_uses_the_rest(
    clock: VirtualClock,
) -> None:
    X, y = mixed_data(n=300)
    budget = 2.0  # the climb itself gets 1.5 s: a quarter is kept for refitting finalists
    starts: list[tuple[str, float]] = []

    def progress(event: str, info: dict[str, Any]) -> None:
        if event == "rung":
            starts.append((info["rung"], info["elapsed"]))

    # a rung whose five folds take 3 s: after its first fold (0.6 s) it projects past the budget
    # and is stopped, leaving 0.9 s of the climb to the rung after it
    with slowed_rung("sleepy", "dummy", fit_s=0.6, sleep=clock.sleep) as sleepy:
        names = ["dummy", "linear", sleepy, "knn"]
        result = ladder(X, y, rungs=names, budget_s=budget, on_progress=progress)
    status = {r.name: r.status for r in result.rungs}
    assert status[sleepy] == "not run", [(r.name, r.status, r.reason) for r in result.rungs]
    reason = result.rung(sleepy).reason
    assert "of the budget of 2 s left" in reason and "first fold" in reason
    assert "all 5 would take about 3.0 s" in reason, reason
    assert not result.rung(sleepy).scores
    assert status["dummy"] == status["linear"] == "done"
    # the time the slow rung did not take is left to the rungs after it
    assert status["knn"] == "done"
    assert result.budget_s == budget
    assert starts == [("dummy", 0.0), ("linear", 0.0), (sleepy, 0.0), ("knn", pytest.approx(0.6))]
    # the climb spent one fold of the stopped rung, and not the four it would have taken
    assert result.elapsed_s == pytest.approx(0.6)


def test_a_rung_that_fits_the_time_budget_is_not_stopped(clock: VirtualClock) -> None:
    # the same rung as above, with a budget whose climb (3.6 s) holds its five folds (3 s)
    X, y = mixed_data(n=300)
    with slowed_rung("sleepy", "dummy", fit_s=0.6, sleep=clock.sleep) as sleepy:
        result = ladder(X, y, rungs=["dummy", sleepy], budget_s=4.2)
    assert result.rung(sleepy).status == "done", result.rung(sleepy).reason
    assert result.rung(sleepy).fit_seconds is not None
    assert result.rung(sleepy).fit_seconds.value == pytest.approx(0.6)


def test_rungs_after_a_spent_budget_are_not_run(clock: VirtualClock) -> None:
    X, y = mixed_data(n=300)
    # the first rung always starts; its first fold alone (0.1 s) spends the 0.05 s budget
    with slowed_rung("sleepy", "dummy", fit_s=0.1, sleep=clock.sleep) as sleepy:
        result = ladder(X, y, rungs=[sleepy, "dummy", "linear"], budget_s=0.05)
    assert result.rung(sleepy).status == "not run"
    for name in ("dummy", "linear"):
        r = result.rung(name)
        assert r.status == "not run" and "budget of 0.05 s would be exceeded" in r.reason, r.reason
    assert result.recommended is None and "No rung finished" in result.sentence


def test_a_sub_second_budget_is_reported_as_given(clock: VirtualClock) -> None:
    X, y = mixed_data(n=300)
    with slowed_rung("sleepy", "dummy", fit_s=0.1, sleep=clock.sleep) as sleepy:  # 0.5 s in all
        result = ladder(X, y, rungs=[sleepy, "dummy"], budget_s=0.25)
    stopped = result.rung(sleepy)
    assert stopped.status == "not run"
    assert "0.25" in stopped.reason, stopped.reason
