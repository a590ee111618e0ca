"""Paired comparison of two models on the same rows (candor/stats/_compare.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from candor.errors import MetricError
from candor.stats import compare, delong_paired, mcnemar

FAST = {"n_resamples": 2_000}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


@pytest.fixture
def two_classifiers() -> dict[str, np.ndarray]:
    """400 rows; model A is right 90% of the time, model B 75%, with scores to match."""
    rng = np.random.default_rng(41)
    y = (rng.random(400) < 0.5).astype(int)
    noise = rng.normal(size=400)
    score_good = _sigmoid(2.5 * (2 * y - 1) + noise)
    score_poor = _sigmoid(0.8 * (2 * y - 1) + noise + 0.7 * rng.normal(size=400))
    pred_good = np.where(rng.random(400) < 0.90, y, 1 - y)
    pred_poor = np.where(rng.random(400) < 0.75, y, 1 - y)
    return {"y": y, "good": pred_good, "poor": pred_poor, "sg": score_good, "sp": score_poor}


def test_a_clearly_better_model_wins(two_classifiers):
    d = two_classifiers
    c = compare(d["y"], d["good"], d["poor"], names=("new", "old"), **FAST)
    assert c.verdict == "A is better"
    assert c.winner == "new"
    assert c.difference.low > 0
    assert c.difference.value == pytest.approx(
        np.mean(d["good"] == d["y"]) - np.mean(d["poor"] == d["y"])
    )
    assert c.sentence.startswith("new is better than old: accuracy")


def test_the_verdict_follows_the_order_of_the_models(two_classifiers):
    d = two_classifiers
    c = compare(d["y"], d["poor"], d["good"], names=("old", "new"), **FAST)
    assert c.verdict == "B is better"
    assert c.winner == "new"
    assert c.difference.high < 0


def test_identical_predictions_show_no_detectable_difference(two_classifiers):
    d = two_classifiers
    c = compare(d["y"], d["good"], d["good"].copy(), **FAST)
    assert c.verdict == "no detectable difference"
    assert c.winner is None
    assert c.difference.value == 0.0
    assert c.difference.contains(0.0)
    assert c.p_value == 1.0
    assert c.sentence.startswith("No detectable difference between A and B")
    assert c.sentence.endswith(
        "They score the same on every row of this test set (the same predictions, or ranked alike)."
    )


def test_accuracy_comparison_reports_mcnemar_on_the_discordant_rows(two_classifiers):
    d = two_classifiers
    right_a, right_b = d["good"] == d["y"], d["poor"] == d["y"]
    c = compare(d["y"], d["good"], d["poor"], **FAST)
    expected = mcnemar(int(np.sum(right_a & ~right_b)), int(np.sum(~right_a & right_b)))
    assert c.test == expected.method
    assert c.p_value == pytest.approx(expected.p_value)
    assert c.p_value < 0.001
    assert "McNemar" in c.sentence
    assert c.sentence.endswith("This test set cannot tell them apart.") or c.winner is not None


def test_accuracy_difference_interval_comes_from_the_paired_bootstrap(two_classifiers):
    d = two_classifiers
    c = compare(d["y"], d["good"], d["poor"], **FAST)
    assert c.difference.method == "paired bootstrap BCa (2,000 resamples)"
    assert c.difference.n == 400
    assert c.a.method == c.b.method == "Wilson"


def test_binary_roc_auc_is_compared_with_delong(two_classifiers):
    d = two_classifiers
    c = compare(d["y"], score_a=d["sg"], score_b=d["sp"], metric="roc_auc", **FAST)
    diff, p = delong_paired(d["y"], d["sg"], d["sp"])
    assert c.test == "DeLong"
    assert c.difference == diff
    assert c.p_value == p
    assert c.difference.value == pytest.approx(
        roc_auc_score(d["y"], d["sg"]) - roc_auc_score(d["y"], d["sp"])
    )
    assert c.verdict == "A is better"
    assert c.a.method == "DeLong (logit)"


def test_roc_auc_with_groups_uses_the_paired_cluster_bootstrap(two_classifiers):
    d = two_classifiers
    groups = np.arange(400) // 4
    c = compare(d["y"], score_a=d["sg"], score_b=d["sp"], metric="roc_auc", groups=groups, **FAST)
    assert c.difference.method.startswith("paired cluster bootstrap")
    assert c.difference.n == 100
    assert c.difference.value == pytest.approx(
        roc_auc_score(d["y"], d["sg"]) - roc_auc_score(d["y"], d["sp"]), abs=1e-12
    )
    assert c.p_value is None


@pytest.mark.parametrize(
    ("metric", "reference"), [("log_loss", log_loss), ("brier", brier_score_loss)]
)
def test_for_losses_lower_is_better(two_classifiers, metric, reference):
    d = two_classifiers
    good_first = compare(d["y"], score_a=d["sg"], score_b=d["sp"], metric=metric, **FAST)
    assert good_first.difference.value == pytest.approx(
        reference(d["y"], d["sg"]) - reference(d["y"], d["sp"]), abs=1e-12
    )
    assert good_first.difference.high < 0  # A's loss is lower...
    assert good_first.verdict == "A is better"  # ...so A wins
    good_second = compare(d["y"], score_a=d["sp"], score_b=d["sg"], metric=metric, **FAST)
    assert good_second.difference.low > 0
    assert good_second.verdict == "B is better"


def test_regression_error_lower_is_better():
    rng = np.random.default_rng(42)
    y = rng.normal(size=300)
    close, far = y + 0.2 * rng.normal(size=300), y + 0.6 * rng.normal(size=300)
    c = compare(y, close, far, metric="mae", names=("close", "far"), **FAST)
    assert c.difference.value == pytest.approx(
        np.mean(np.abs(close - y)) - np.mean(np.abs(far - y))
    )
    assert c.winner == "close"
    assert c.p_value is None


def test_a_small_difference_on_few_rows_is_not_detectable():
    rng = np.random.default_rng(43)
    y = (rng.random(60) < 0.5).astype(int)
    a = np.where(rng.random(60) < 0.80, y, 1 - y)
    b = a.copy()
    b[np.flatnonzero(a == y)[:3]] ^= 1  # B gets three of A's right rows wrong...
    b[np.flatnonzero(a != y)[:1]] ^= 1  # ...and one of A's wrong rows right
    c = compare(y, a, b, **FAST)
    assert c.verdict == "no detectable difference"
    assert c.difference.value == pytest.approx(2 / 60)
    assert c.difference.low < 0 < c.difference.high
    assert c.p_value == pytest.approx(0.625)  # exact McNemar, b=3, c=1: 2 * P(X <= 1 | 4, 1/2)


def test_string_labels_are_encoded_the_same_way_for_both_models():
    y = np.array(["a", "b", "c"] * 40)
    pred_a = y.copy()
    pred_b = np.array(["a", "b", "d"] * 40)  # B invents a label A never uses
    c = compare(y, pred_a, pred_b, metric="f1_macro", **FAST)
    assert c.a.value == 1.0
    assert c.b.value == pytest.approx((1 + 1 + 0 + 0) / 4)
    assert c.winner == "A"


@pytest.mark.parametrize("metric", ["log_loss", "pr_auc", "roc_auc"])
def test_a_score_metric_needs_scores_for_both_models(two_classifiers, metric):
    d = two_classifiers
    with pytest.raises(MetricError, match="needs scores for both models"):
        compare(d["y"], d["good"], d["poor"], score_a=d["sg"], metric=metric, **FAST)


def test_a_score_metric_without_any_scores_is_a_metric_error(two_classifiers):
    d = two_classifiers
    with pytest.raises(MetricError, match="needs scores"):
        compare(d["y"], d["good"], d["poor"], metric="roc_auc", **FAST)


def test_comparison_to_dict_is_plain_json(two_classifiers):
    d = two_classifiers
    c = compare(d["y"], d["good"], d["poor"], names=("new", "old"), **FAST)
    out = json.loads(json.dumps(c.to_dict()))
    assert out["winner"] == "new"
    assert out["verdict"] == "A is better"
    assert out["difference"]["low"] == c.difference.low
    assert out["sentence"] == c.sentence


def test_with_groups_the_p_value_does_not_contradict_the_cluster_verdict():
    # 30 customers of 20 rows: on 6 only A is right, on 4 only B, on the rest both are right
    y = np.tile([0, 1], 300)
    groups = np.repeat(np.arange(30), 20)
    only_a_right = np.isin(groups, [0, 5, 10, 15, 20, 25])
    only_b_right = np.isin(groups, [2, 9, 17, 28])
    a = np.where(only_b_right, 1 - y, y)
    b = np.where(only_a_right, 1 - y, y)
    c = compare(y, a, b, groups=groups, **FAST)
    assert c.verdict == "no detectable difference"
    assert c.difference.n == 30
    # row-level McNemar sees b=120, c=80 discordant rows and reports p ~ 0.006
    assert c.p_value is None or c.p_value >= 0.05


def test_a_test_named_by_the_method_is_not_named_twice(two_classifiers):
    d = two_classifiers
    c = compare(d["y"], score_a=d["sg"], score_b=d["sp"], metric="roc_auc", **FAST)
    assert c.test.lower() in c.difference.method.lower()
    assert c.sentence.count(c.test) == 1, c.sentence
