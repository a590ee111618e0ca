"""``evaluate``: which interval each metric gets, and the errors a user can cause (_evaluate.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from candor.errors import CandorError, MetricError
from candor.stats import _evaluate as evaluate_module
from candor.stats import clopper_pearson_interval, evaluate, get_metric

FAST = {"n_resamples": 1_000}


@pytest.fixture
def binary() -> dict[str, np.ndarray]:
    """200 rows: labels, 0.85-accurate predictions, and probabilities."""
    rng = np.random.default_rng(31)
    y = (rng.random(200) < 0.5).astype(int)
    pred = np.where(rng.random(200) < 0.85, y, 1 - y)
    score = np.clip(0.5 + 0.3 * (2 * pred - 1) + 0.15 * rng.normal(size=200), 0.01, 0.99)
    return {"y": y, "pred": pred, "score": score}


# --- which interval each metric gets ----------------------------------------------------------------
def test_accuracy_gets_wilson_and_binary_roc_auc_gets_delong(binary):
    ev = evaluate(binary["y"], binary["pred"], binary["score"], **FAST)
    assert ev["accuracy"].method == "Wilson"
    assert ev["roc_auc"].method == "DeLong (logit)"
    for name in ("f1", "pr_auc", "log_loss", "brier"):
        assert ev[name].method == "bootstrap BCa (1,000 resamples)", name


def test_accuracy_with_no_errors_gets_the_exact_interval():
    y = np.array([0, 1] * 150)
    ev = evaluate(y, y, metrics=["accuracy"])
    assert ev["accuracy"].method == "Clopper-Pearson exact"
    assert ev["accuracy"].high == 1.0
    assert ev["accuracy"].low == pytest.approx(1 - 0.0122, abs=1e-4)


def test_with_groups_every_interval_is_a_cluster_bootstrap_over_groups(binary):
    groups = np.arange(200) // 4
    ev = evaluate(binary["y"], binary["pred"], binary["score"], groups=groups, **FAST)
    assert ev.n == 200
    assert ev.n_groups == 50
    for name, est in ev.metrics.items():
        assert "cluster bootstrap" in est.method, name
        assert est.n == 50, name


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_a_named_bootstrap_method_overrides_the_closed_forms(binary, method):
    ev = evaluate(
        binary["y"],
        binary["pred"],
        binary["score"],
        metrics=["accuracy", "roc_auc"],
        method=method,
        **FAST,
    )
    label = "BCa" if method == "bca" else "percentile"
    assert ev["accuracy"].method == f"bootstrap {label} (1,000 resamples)"
    assert ev["roc_auc"].method == f"bootstrap {label} (1,000 resamples)"


def test_every_interval_contains_its_estimate(binary):
    ev = evaluate(binary["y"], binary["pred"], binary["score"], **FAST)
    for name, est in ev.metrics.items():
        assert est.low <= est.value <= est.high, name
        assert est.low < est.high, name
        assert est.level == 0.95


def test_level_is_passed_to_every_interval(binary):
    ev90 = evaluate(binary["y"], binary["pred"], binary["score"], level=0.90, **FAST)
    ev99 = evaluate(binary["y"], binary["pred"], binary["score"], level=0.99, **FAST)
    for name in ev90.metrics:
        assert ev90[name].level == 0.90
        assert ev99[name].half_width > ev90[name].half_width, name


def test_same_seed_gives_the_same_evaluation(binary):
    a = evaluate(binary["y"], binary["pred"], binary["score"], seed=3, **FAST)
    b = evaluate(binary["y"], binary["pred"], binary["score"], seed=3, **FAST)
    assert a.metrics == b.metrics
    assert a.claims == b.claims


def test_every_reported_metric_has_a_claim(binary):
    ev = evaluate(binary["y"], binary["pred"], binary["score"], **FAST)
    assert [c.metric for c in ev.claims] == list(ev.metrics)


def test_a_default_rank_metric_that_cannot_be_computed_is_skipped_with_the_reason():
    y = np.ones(50, dtype=int)
    score = np.linspace(0.5, 1, 50)
    ev = evaluate(y, y_score=score, task="binary", **FAST)
    assert ev.skipped == {
        "roc_auc": "needs both classes among the true labels",
        "pr_auc": "needs both classes among the true labels",
    }
    assert "accuracy" in ev.metrics


def test_pandas_input_and_string_labels_are_accepted(binary):
    labels = np.array(["churn", "stay"])
    y = pd.Series(labels[binary["y"]])
    pred = pd.Series(labels[binary["pred"]])
    ev = evaluate(y, pred, metrics=["accuracy", "f1"], **FAST)
    assert ev.task == "binary"
    assert ev.classes == ("churn", "stay")
    assert ev["accuracy"].value == np.mean(binary["y"] == binary["pred"])


def test_regression_is_inferred_from_fractional_targets():
    rng = np.random.default_rng(32)
    y = rng.normal(size=100)
    ev = evaluate(y, y + 0.1 * rng.normal(size=100), **FAST)
    assert ev.task == "regression"
    assert list(ev.metrics) == ["mae", "rmse", "r2"]


def test_to_dict_is_plain_json(binary):
    ev = evaluate(binary["y"], binary["pred"], binary["score"], groups=np.arange(200) // 4, **FAST)
    d = json.loads(json.dumps(ev.to_dict()))
    assert d["n"] == 200 and d["n_groups"] == 50 and d["task"] == "binary"
    assert d["metrics"]["accuracy"]["value"] == ev["accuracy"].value
    assert len(d["claims"]) == len(ev.claims)


def test_get_metric_returns_the_metric_for_its_task():
    assert get_metric("r2", "regression").name == "r2"


# --- errors a user can cause: MetricError, with a message that says what to do -------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y_true": [], "y_pred": []}, "no rows to evaluate: y_true is empty"),
        ({"y_true": [0, 1, np.nan, 1], "y_pred": [0, 1, 1, 1]}, "y_true has 1 missing values"),
        ({"y_true": [0, 1, 0, 1], "y_pred": [0, None, 1, 1]}, "y_pred has 1 missing values"),
        ({"y_true": [0.5, 1.5, 2.5], "y_pred": [0.5, np.nan, 2.5]}, "y_pred has 1 missing"),
        ({"y_true": [0, 1, 0, 1], "y_pred": [0, 1, 0]}, "y_pred has 3 rows but y_true has 4"),
        ({"y_true": [0, 1, 0, 1]}, "give predictions: y_pred"),
        (
            {"y_true": [0, 1, 0, 1], "y_pred": [0, 1, 0, 1], "metrics": ["acuracy"]},
            "unknown metric 'acuracy'. Did you mean 'accuracy'?",
        ),
        (
            {"y_true": [0, 1, 0, 1], "y_pred": [0, 1, 0, 1], "metrics": ["r2"]},
            "metric 'r2' does not apply to a binary task; use one of accuracy",
        ),
        (
            {"y_true": [0.5, 1.5, 2.5], "y_pred": [0.5, 1.0, 2.5], "metrics": ["accuracy"]},
            "metric 'accuracy' does not apply to a regression task; use one of mae, rmse, r2",
        ),
        (
            {"y_true": [0, 1, 0, 1], "y_pred": [0, 1, 0, 1], "metrics": ["roc_auc"]},
            "metric 'roc_auc' needs scores \\(probabilities\\); pass y_score",
        ),
        (
            {"y_true": [0, 1, 0, 1], "y_score": np.full((4, 3), 1 / 3)},
            "y_score has 3 columns but there are 2 classes",
        ),
        (
            {"y_true": [0, 1, 2, 1], "y_score": np.full((4, 2), 0.5)},
            "y_score has 2 columns but there are 3 classes",
        ),
        ({"y_true": [0, 1, 0, 1], "y_score": [0.1, 0.9, 0.2]}, "y_score has 3 rows"),
        ({"y_true": [0, 1, 0, 1], "y_score": [0.1, np.nan, 0.2, 0.8]}, "y_score has missing"),
        (
            {"y_true": [0, 1, 2, 1], "y_pred": [0, 1, 2, 2], "task": "binary"},
            "task is binary but there are 3 classes: \\[0, 1, 2\\]; use task='multiclass'",
        ),
        ({"y_true": [0, 1, 0, 1], "y_pred": [0, 1, 0, 1], "task": "ranking"}, "unknown task"),
        ({"y_true": [0.5, 1.5], "y_score": [0.1, 0.9]}, "needs y_pred"),
        (
            {"y_true": [0, 1, 0, 1], "y_pred": [0, 1, 0, 1], "groups": [1, 2]},
            "groups has 2 entries but there are 4 rows",
        ),
        ({"y_true": [0, 1], "y_pred": [0, 1], "level": 95}, "level must be between 0 and 1"),
        ({"y_true": [0, 1], "y_pred": [0, 1], "n_resamples": 10}, "too few"),
        (
            {"y_true": [0, 1, 0, 1], "y_pred": [0, 1, 0, 1], "method": "wald"},
            "unknown interval method 'wald'",
        ),
        ({"y_true": np.zeros((4, 2)), "y_pred": [0, 1, 0, 1]}, "y_true must be one-dimensional"),
    ],
)
def test_bad_input_raises_metric_error_with_a_clear_message(kwargs, message):
    with pytest.raises(MetricError, match=message):
        evaluate(**kwargs)


def test_metric_errors_belong_to_the_candor_family():
    assert issubclass(MetricError, CandorError)
    with pytest.raises(CandorError):
        evaluate([], [])


def test_a_metric_without_a_close_name_lists_the_known_ones():
    with pytest.raises(MetricError, match="Known metrics: accuracy, balanced_accuracy") as info:
        evaluate([0, 1], [0, 1], metrics=["zzzz"])
    assert "Did you mean" not in str(info.value)


# --- very many rows: the jackknife-normal interval ---------------------------------------------------
@pytest.fixture
def regression_rows() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(33)
    y = rng.normal(size=400)
    return {"y": y, "pred": y + rng.exponential(1.0, size=400) - 0.5}


def test_auto_switches_per_row_means_to_the_jackknife_beyond_the_draw_budget(
    monkeypatch, regression_rows
):
    # 400 rows x 1,000 resamples = 400,000 draws: over a budget of 100,000
    monkeypatch.setattr(evaluate_module, "AUTO_BOOTSTRAP_DRAWS", 100_000)
    ev = evaluate(regression_rows["y"], regression_rows["pred"], **FAST)
    for name in ("mae", "rmse", "r2"):
        assert ev[name].method == "normal, jackknife SE", name
        assert ev[name].n == 400
    groups = np.arange(400) // 2  # 200 groups x 1,000 resamples: still over budget
    ev = evaluate(regression_rows["y"], regression_rows["pred"], groups=groups, **FAST)
    assert ev["mae"].method == "normal, cluster jackknife SE"
    assert ev["mae"].n == 200


def test_auto_keeps_the_bootstrap_within_the_draw_budget(monkeypatch, regression_rows):
    monkeypatch.setattr(evaluate_module, "AUTO_BOOTSTRAP_DRAWS", 400_000)  # exactly 400 x 1,000
    ev = evaluate(regression_rows["y"], regression_rows["pred"], metrics=["mae"], **FAST)
    assert ev["mae"].method == "bootstrap BCa (1,000 resamples)"


def test_the_jackknife_switch_spares_cell_metrics_and_a_named_method(monkeypatch, binary):
    monkeypatch.setattr(evaluate_module, "AUTO_BOOTSTRAP_DRAWS", 1)
    ev = evaluate(binary["y"], binary["pred"], binary["score"], **FAST)
    # confusion cells and score levels resample in O(cells): no need to switch
    for name in ("f1", "pr_auc"):
        assert ev[name].method == "bootstrap BCa (1,000 resamples)", name
    assert ev["log_loss"].method == "normal, jackknife SE"
    named = evaluate(
        binary["y"], binary["pred"], binary["score"], metrics=["log_loss"], method="bca", **FAST
    )
    assert named["log_loss"].method == "bootstrap BCa (1,000 resamples)"


def test_the_default_budget_switches_at_twenty_thousand_rows_for_ten_thousand_resamples():
    rng = np.random.default_rng(34)
    y = rng.normal(size=20_001)
    ev = evaluate(y, y + rng.normal(size=20_001), metrics=["mae"])
    assert ev["mae"].method == "normal, jackknife SE"
    assert evaluate_module.AUTO_BOOTSTRAP_DRAWS == 200_000_000


# --- perfect scores: an exact bound instead of a zero-width bootstrap interval -----------------------
def test_a_perfect_bootstrapped_score_gets_the_exact_bound_of_its_smallest_class():
    y = np.array([0] * 70 + [1] * 30)
    ev = evaluate(y, y, metrics=["f1", "recall", "balanced_accuracy"], **FAST)
    for name, est in ev.metrics.items():
        assert est.value == est.high == 1.0, name
        assert est.low == pytest.approx(0.025 ** (1 / 30)), name  # 0 errors in 30 trials
        what = "positive rows" if name == "recall" else "rows of the smallest class"
        assert est.method == f"exact bound, 0 errors in 30 {what}", name


def test_a_perfect_precision_is_bounded_by_the_rows_predicted_positive():
    # 30 positives, 20 of them found and no false alarm: precision's trials are those 20
    y = np.array([0] * 70 + [1] * 30)
    pred = y.copy()
    pred[-10:] = 0
    est = evaluate(y, pred, metrics=["precision"], **FAST)["precision"]
    assert est.value == est.high == 1.0
    assert est.low == pytest.approx(0.025 ** (1 / 20))
    assert est.method == "exact bound, 0 errors in 20 rows predicted positive"


def test_a_perfectly_ranked_auc_gets_the_exact_bound_from_the_bootstrap_too():
    y = np.array([0] * 60 + [1] * 40)
    score = np.r_[np.linspace(0, 0.4, 60), np.linspace(0.6, 1, 40)]  # 100 levels, ranked exactly
    ev = evaluate(y, y_score=score, metrics=["roc_auc", "pr_auc"], method="bca", **FAST)
    for est in ev.metrics.values():
        assert est.value == est.high == 1.0
        assert est.low == pytest.approx(0.025 ** (1 / 40))


@pytest.fixture
def separable_many_levels() -> tuple[np.ndarray, np.ndarray]:
    """700 distinct scores (more than EXACT_LEVELS), positives all above negatives."""
    y = np.array([0] * 400 + [1] * 300)
    return y, np.r_[np.linspace(0, 0.4, 400), np.linspace(0.6, 1, 300)]


def test_a_binned_rank_interval_never_leaves_zero_one(separable_many_levels):
    y, score = separable_many_levels
    ev = evaluate(y, y_score=score, metrics=["roc_auc", "pr_auc"], method="bca", **FAST)
    for name, est in ev.metrics.items():
        assert 0.0 <= est.low <= est.high <= 1.0, name


def test_a_perfect_auc_on_many_distinct_scores_gets_the_exact_bound(separable_many_levels):
    y, score = separable_many_levels
    est = evaluate(y, y_score=score, metrics=["roc_auc"], method="bca", **FAST)["roc_auc"]
    assert est.value == 1.0
    assert est.low == pytest.approx(0.025 ** (1 / 300))


def test_a_perfect_loss_keeps_its_bootstrap_interval():
    y = np.array([0, 1] * 50)
    ev = evaluate(y, y_score=y.astype(float), metrics=["brier"], **FAST)
    assert ev["brier"].value == 0.0
    assert ev["brier"].method == "bootstrap BCa (1,000 resamples)"


def test_with_groups_a_perfect_score_is_bounded_by_groups_not_rows():
    y = np.array([0, 1] * 150)
    groups = np.arange(300) // 10
    ev = evaluate(y, y, metrics=["accuracy", "f1"], groups=groups, **FAST)
    for est in ev.metrics.values():
        assert est.n == 30
        assert est.low <= clopper_pearson_interval(30, 30).low + 1e-12


def test_a_perfect_accuracy_is_bounded_by_all_its_rows_whatever_the_method():
    y = np.r_[np.zeros(990), np.ones(10)].astype(int)
    auto = evaluate(y, y, metrics=["accuracy"], **FAST)["accuracy"]
    bca = evaluate(y, y, metrics=["accuracy"], method="bca", **FAST)["accuracy"]
    assert bca.low == pytest.approx(auto.low)
