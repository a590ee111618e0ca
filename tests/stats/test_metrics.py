"""Point values of every metric against scikit-learn (candor/stats/_metrics.py).

The intervals are tested elsewhere; here the centre of each ``Estimate`` must be exactly what
scikit-learn reports, whichever interval method produced it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from candor.stats import METRICS, Costs, bootstrap, default_metrics, evaluate, prepare_predictions
from candor.stats._metrics import EXACT_LEVELS, score_levels

FAST = {"n_resamples": 1_000}  # the fewest evaluate accepts; point values do not depend on it


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


@pytest.fixture
def binary() -> dict[str, np.ndarray]:
    """400 rows, 40% positives, scores with 3,000-ish distinct values, labels from a threshold."""
    rng = np.random.default_rng(11)
    y = (rng.random(400) < 0.4).astype(int)
    score = _sigmoid(1.3 * y - 0.6 + rng.normal(size=400))
    pred = (score + 0.1 * rng.normal(size=400) > 0.45).astype(int)
    return {"y": y, "score": score, "pred": pred}


@pytest.fixture
def multiclass() -> dict[str, np.ndarray]:
    """500 rows over 4 classes, probabilities leaning to the true class, labels not always argmax."""
    rng = np.random.default_rng(12)
    n, k = 500, 4
    y = rng.choice(k, size=n, p=[0.4, 0.3, 0.2, 0.1])
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    pred = np.argmax(logits + rng.normal(scale=0.8, size=(n, k)), axis=1)
    return {"y": y, "score": proba, "pred": pred}


@pytest.fixture
def regression() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(13)
    y = rng.gamma(2.0, 3.0, size=300)
    pred = y + rng.standard_t(4, size=300) + 0.5
    return {"y": y, "pred": pred}


def _values(*args, metrics: list[str], **kwargs) -> dict[str, float]:
    ev = evaluate(*args, metrics=metrics, **FAST, **kwargs)
    return {name: est.value for name, est in ev.metrics.items()}


def test_binary_label_metrics_equal_scikit_learn(binary):
    y, pred = binary["y"], binary["pred"]
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "precision_macro": skm.precision_score(y, pred, average="macro"),
        "recall_macro": skm.recall_score(y, pred, average="macro"),
        "f1_macro": skm.f1_score(y, pred, average="macro"),
    }
    got = _values(y, pred, metrics=list(expected))
    assert got == pytest.approx(expected, abs=1e-12)


def test_binary_score_metrics_equal_scikit_learn(binary):
    y, score, pred = binary["y"], binary["score"], binary["pred"]
    expected = {
        "roc_auc": skm.roc_auc_score(y, score),
        "pr_auc": skm.average_precision_score(y, score),
        "log_loss": skm.log_loss(y, score),
        "brier": skm.brier_score_loss(y, score),
    }
    got = _values(y, pred, score, metrics=list(expected))
    assert got == pytest.approx(expected, abs=1e-12)


def test_multiclass_metrics_equal_scikit_learn(multiclass):
    y, score, pred = multiclass["y"], multiclass["score"], multiclass["pred"]
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision_macro": skm.precision_score(y, pred, average="macro"),
        "recall_macro": skm.recall_score(y, pred, average="macro"),
        "f1_macro": skm.f1_score(y, pred, average="macro"),
        "roc_auc": skm.roc_auc_score(y, score, multi_class="ovr", average="macro"),
        "pr_auc": skm.average_precision_score(y, score, average="macro"),
        "log_loss": skm.log_loss(y, score),
        "brier": skm.brier_score_loss(y, score),
    }
    got = _values(y, pred, score, metrics=list(expected))
    assert got == pytest.approx(expected, abs=1e-12)


def test_regression_metrics_equal_scikit_learn(regression):
    y, pred = regression["y"], regression["pred"]
    expected = {
        "mae": skm.mean_absolute_error(y, pred),
        "rmse": skm.root_mean_squared_error(y, pred),
        "r2": skm.r2_score(y, pred),
    }
    got = _values(y, pred, metrics=list(expected))
    assert got == pytest.approx(expected, rel=1e-12)


def test_cost_is_false_positives_and_false_negatives_priced_per_row(binary):
    y, pred = binary["y"], binary["pred"]
    _, fp, fn, _ = skm.confusion_matrix(y, pred).ravel()
    costs = Costs(false_positive=5.0, false_negative=0.5)
    got = _values(y, pred, metrics=["cost"], costs=costs)
    assert fp > 0 and fn > 0
    assert got["cost"] == pytest.approx((fp * 5.0 + fn * 0.5) / len(y), abs=1e-12)


def test_cost_defaults_to_one_per_mistake(binary):
    y, pred = binary["y"], binary["pred"]
    got = _values(y, pred, metrics=["cost"])
    assert got["cost"] == pytest.approx(np.mean(y != pred), abs=1e-12)


def test_positive_class_is_the_second_label_in_sorted_order():
    y = np.array(["no", "yes", "yes", "no", "yes", "no", "no", "yes"] * 10)
    pred = np.array(["no", "yes", "no", "no", "yes", "yes", "no", "yes"] * 10)
    got = _values(y, pred, metrics=["precision", "recall", "f1"])
    assert got["precision"] == pytest.approx(skm.precision_score(y, pred, pos_label="yes"))
    assert got["recall"] == pytest.approx(skm.recall_score(y, pred, pos_label="yes"))
    assert got["f1"] == pytest.approx(skm.f1_score(y, pred, pos_label="yes"))


def test_no_predicted_positives_scores_zero_like_scikit_learn_zero_division():
    y = np.array([0, 1] * 50)
    pred = np.zeros(100, dtype=int)
    got = _values(y, pred, metrics=["precision", "recall", "f1"])
    assert got == {
        "precision": skm.precision_score(y, pred, zero_division=0),
        "recall": 0.0,
        "f1": skm.f1_score(y, pred, zero_division=0),
    }


def test_macro_averages_count_a_class_seen_only_in_predictions_like_scikit_learn():
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1] * 10)
    pred = np.array([0, 1, 3, 0, 2, 2, 1, 1] * 10)  # class 3 never occurs in y
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # scikit-learn's own note about class 3
        expected = {
            "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
            "precision_macro": skm.precision_score(y, pred, average="macro", zero_division=0),
            "recall_macro": skm.recall_score(y, pred, average="macro", zero_division=0),
            "f1_macro": skm.f1_score(y, pred, average="macro", zero_division=0),
        }
    got = _values(y, pred, metrics=list(expected))
    assert got == pytest.approx(expected, abs=1e-12)


# --- rank metrics: exact levels, and the binned path above EXACT_LEVELS distinct scores ----------
@pytest.fixture
def coarse_binary() -> dict[str, np.ndarray]:
    """Scores on 11 levels: heavy ties, ranked exactly."""
    rng = np.random.default_rng(14)
    y = (rng.random(500) < 0.3).astype(int)
    score = np.round(_sigmoid(1.5 * y - 0.8 + rng.normal(size=500)), 1)
    return {"y": y, "score": score}


@pytest.fixture
def fine_binary() -> dict[str, np.ndarray]:
    """3,000 distinct scores: more than EXACT_LEVELS, so the bootstrap bins them."""
    rng = np.random.default_rng(15)
    y = (rng.random(3000) < 0.3).astype(int)
    score = _sigmoid(0.8 * y - 0.5 + rng.normal(size=3000))
    assert len(np.unique(score)) > EXACT_LEVELS
    return {"y": y, "score": score}


@pytest.mark.parametrize("method", ["auto", "bca", "percentile"])
@pytest.mark.parametrize("data", ["coarse_binary", "fine_binary"])
def test_binary_rank_metrics_are_exact_for_every_interval_method(data, method, request):
    d = request.getfixturevalue(data)
    got = _values(d["y"], y_score=d["score"], metrics=["roc_auc", "pr_auc"], method=method)
    assert got["roc_auc"] == pytest.approx(skm.roc_auc_score(d["y"], d["score"]), abs=1e-12)
    assert got["pr_auc"] == pytest.approx(
        skm.average_precision_score(d["y"], d["score"]), abs=1e-12
    )


def test_binary_rank_metrics_are_exact_with_the_cluster_bootstrap(fine_binary):
    y, score = fine_binary["y"], fine_binary["score"]
    groups = np.arange(len(y)) // 3
    ev = evaluate(y, y_score=score, metrics=["roc_auc", "pr_auc"], groups=groups, **FAST)
    assert ev["roc_auc"].value == pytest.approx(skm.roc_auc_score(y, score), abs=1e-12)
    assert ev["pr_auc"].value == pytest.approx(skm.average_precision_score(y, score), abs=1e-12)
    assert "cluster bootstrap" in ev["roc_auc"].method


@pytest.mark.parametrize("metric", ["roc_auc", "pr_auc"])
def test_count_based_statistic_equals_scikit_learn_on_tied_levels(coarse_binary, metric):
    # the statistic the bootstrap resamples, not the exact override: it must be right on its own
    y, score = coarse_binary["y"], coarse_binary["score"]
    p = prepare_predictions(y, None, score)
    est = bootstrap(METRICS[metric].rows(p, None), n_resamples=100).estimate
    reference = skm.roc_auc_score if metric == "roc_auc" else skm.average_precision_score
    assert est.value == pytest.approx(reference(y, score), abs=1e-12)


def test_binning_kicks_in_above_exact_levels_and_only_then(coarse_binary, fine_binary):
    levels, n_levels = score_levels(coarse_binary["score"])
    assert n_levels == len(np.unique(coarse_binary["score"]))
    levels, n_levels = score_levels(fine_binary["score"])
    assert n_levels < len(np.unique(fine_binary["score"]))
    # bins follow the score order: a higher score never lands in a lower bin
    order = np.argsort(fine_binary["score"])
    assert np.all(np.diff(levels[order]) >= 0)


def test_binned_bootstrap_is_recentred_on_the_exact_auc(fine_binary):
    y, score = fine_binary["y"], fine_binary["score"]
    p = prepare_predictions(y, None, score)
    rows = METRICS["roc_auc"].rows(p, None)
    binned = bootstrap(rows, n_resamples=300).estimate
    exact = skm.roc_auc_score(y, score)
    assert binned.value != exact  # binning loses within-bin order...
    assert binned.value == pytest.approx(exact, abs=0.01)  # ...but only a little
    recentred = bootstrap(rows, n_resamples=300, value=exact).estimate
    assert recentred.value == exact
    assert recentred.low - binned.low == pytest.approx(exact - binned.value)
    assert recentred.high - binned.high == pytest.approx(exact - binned.value)


def test_multiclass_roc_auc_is_exact_with_many_distinct_scores():
    rng = np.random.default_rng(16)
    n, k = 2500, 3
    y = rng.choice(k, size=n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 0.7
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert all(len(np.unique(proba[:, c])) > EXACT_LEVELS for c in range(k))
    got = _values(y, y_score=proba, metrics=["roc_auc", "pr_auc"])
    assert got["roc_auc"] == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro"), abs=1e-12
    )
    assert got["pr_auc"] == pytest.approx(skm.average_precision_score(y, proba), abs=1e-12)


def test_labels_default_to_the_argmax_of_scores(multiclass):
    y, score = multiclass["y"], multiclass["score"]
    got = _values(y, y_score=score, metrics=["accuracy"])
    assert got["accuracy"] == pytest.approx(skm.accuracy_score(y, score.argmax(axis=1)))


def test_unnormalised_class_scores_are_normalised_for_log_loss(multiclass):
    y, score = multiclass["y"], multiclass["score"]
    got = _values(y, y_score=3.0 * score, metrics=["log_loss"])
    assert got["log_loss"] == pytest.approx(skm.log_loss(y, score), abs=1e-12)


@pytest.mark.parametrize(
    ("task", "has_score", "has_costs", "expected"),
    [
        ("regression", False, False, ["mae", "rmse", "r2"]),
        ("binary", False, False, ["accuracy", "balanced_accuracy", "precision", "recall", "f1"]),
        (
            "binary",
            True,
            True,
            [
                *("accuracy", "balanced_accuracy", "precision", "recall", "f1"),
                *("roc_auc", "pr_auc", "log_loss", "brier", "cost"),
            ],
        ),
        ("multiclass", False, True, ["accuracy", "balanced_accuracy", "f1_macro"]),
    ],
)
def test_default_metrics_per_task(task, has_score, has_costs, expected):
    assert default_metrics(task, has_score, has_costs) == expected


def test_every_metric_says_which_direction_is_better():
    losses = {name for name, m in METRICS.items() if not m.greater_is_better}
    assert losses == {"log_loss", "brier", "cost", "mae", "rmse"}
