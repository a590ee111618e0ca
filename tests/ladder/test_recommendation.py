"""What the ladder recommends on data whose best model is known by construction."""

from __future__ import annotations

import re

import pytest

from candor.data import load_dataset
from candor.ladder import LadderResult, ladder
from candor.stats import Estimate
from tests.ladder._data import linear_data, xor_data

#: how candor prints an estimate: ``0.952 (0.938-0.963)``, or with " to " when a bound is negative
INTERVAL = re.compile(r"-?\d+\.\d{3} \(-?\d+\.\d{3}(-| to )-?\d+\.\d{3}\)")


def _assert_interval(e: Estimate) -> None:
    assert isinstance(e, Estimate)
    assert e.low <= e.value <= e.high, e
    assert e.level == 0.95 and e.n > 0 and e.method


def _assert_done_rungs_have_intervals(result: LadderResult) -> None:
    done = [r for r in result.rungs if r.status == "done"]
    assert done, [(r.name, r.status, r.reason) for r in result.rungs]
    for r in done:
        assert result.metric in r.scores, r.name
        for est in r.scores.values():
            _assert_interval(est)


@pytest.mark.slow
def test_linear_truth_recommends_logistic_regression() -> None:
    X, y = linear_data(n=1_500, k=10)
    names = ["dummy", "linear", "knn", "decision_tree", "random_forest", "hist_gb"]
    result = ladder(X, y, rungs=names)
    assert result.task == "binary" and result.metric == "roc_auc"
    assert [r.name for r in result.rungs] == names
    assert all(r.status == "done" for r in result.rungs), [(r.name, r.reason) for r in result.rungs]
    assert result.recommended == "linear", result.sentence
    assert "logistic regression" in result.sentence
    assert INTERVAL.search(result.sentence), result.sentence
    _assert_done_rungs_have_intervals(result)
    # every rung is compared with the leader on the same rows; nothing beats the true model family
    assert set(result.comparisons) == set(names) - {result.leader}
    for name, c in result.comparisons.items():
        assert c["verdict"] in ("A is better", "no detectable difference"), (name, c["verdict"])
    assert result.comparisons["dummy"]["verdict"] == "A is better"
    assert result.rung("linear").scores["roc_auc"].value > 0.9


def test_interactions_recommend_boosting_over_a_linear_model() -> None:
    X, y = xor_data(n=2_000, noise_features=4)
    result = ladder(X, y, rungs=["dummy", "linear", "hist_gb"])
    assert result.recommended == "hist_gb", result.sentence
    assert result.leader == "hist_gb"
    c = result.comparisons["linear"]
    assert c["name_a"] == "hist_gb" and c["name_b"] == "linear"
    assert c["verdict"] == "A is better" and c["winner"] == "hist_gb"
    assert c["difference"]["low"] > 0.3  # a checkerboard is far out of a linear model's reach
    assert "histogram gradient boosting" in result.sentence and "beats" in result.sentence
    assert "logistic regression" in result.sentence  # the simpler rival it beats is named
    assert INTERVAL.search(result.sentence), result.sentence
    _assert_done_rungs_have_intervals(result)


def test_regression_defaults_to_r2_with_intervals() -> None:
    ds = load_dataset("sklearn:diabetes")
    X, y = ds.frame.drop(columns=[ds.target]), ds.frame[ds.target]
    result = ladder(X, y, rungs=["dummy", "linear", "hist_gb"])
    assert result.task == "regression" and result.metric == "r2"
    assert result.classes == []
    _assert_done_rungs_have_intervals(result)
    assert {r.name for r in result.rungs if r.status == "done"} == {"dummy", "linear", "hist_gb"}
    # always predicting the mean explains nothing; ridge regression explains a good share
    assert abs(result.rung("dummy").scores["r2"].value) < 0.05
    assert result.rung("linear").scores["r2"].low > 0.3
    assert result.recommended in ("linear", "hist_gb"), result.sentence
    assert "ridge regression" in result.sentence
    assert INTERVAL.search(result.sentence), result.sentence


@pytest.mark.parametrize("source", ["sklearn:iris", "sklearn:wine"])
def test_multiclass_recommends_a_rung_with_intervals(source: str) -> None:
    ds = load_dataset(source)
    X, y = ds.frame.drop(columns=[ds.target]), ds.frame[ds.target]
    result = ladder(X, y, rungs=["dummy", "linear", "decision_tree"])
    assert result.task == "multiclass"
    assert len(result.classes) == 3 and result.classes == sorted(set(y))
    _assert_done_rungs_have_intervals(result)
    assert result.recommended in ("linear", "decision_tree"), result.sentence
    assert result.rung(result.recommended).scores[result.metric].low > 0.8
    assert INTERVAL.search(result.sentence), result.sentence
    # the recommended model was refitted on all rows and predicts the original class labels' order
    model = result.rung(result.recommended).model
    assert model.predict_proba(X.iloc[:5]).shape == (5, 3)
