"""What the report shows about one classifier on held-out rows, computed from arrays: the confusion
matrix, per-class precision and recall, ROC and precision-recall bands, reliability bins, the
business cost against the threshold, permutation importance and the example gallery.

Pure: arrays and a predict-proba function in, plain results out; every figure with its interval,
n and method.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from candor.stats import Costs, Estimate, wilson_interval

LEVEL = 0.95
#: resamples for the pointwise bands of the ROC and precision-recall curves
BAND_RESAMPLES = 300
GRID = np.linspace(0.0, 1.0, 101)


def confusion(y: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Counts: rows the true class, columns the predicted class (both as codes 0..k-1)."""
    out = np.zeros((k, k), dtype=int)
    np.add.at(out, (y, pred), 1)
    return out


def _share(k: int, n: int) -> Estimate | None:
    return None if n == 0 else wilson_interval(int(k), int(n), LEVEL)


def per_class(counts: np.ndarray) -> list[tuple[Estimate | None, Estimate | None]]:
    """(precision, recall) of each class with Wilson intervals; None where nothing to count."""
    tp = np.diag(counts)
    return [
        (_share(tp[i], counts[:, i].sum()), _share(tp[i], counts[i].sum())) for i in range(len(tp))
    ]


@dataclass(frozen=True)
class Band:
    """A curve on a fixed grid and its pointwise percentile-bootstrap band."""

    x: np.ndarray
    y: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int
    method: str


def _roc_on_grid(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(y, s)
    return np.interp(GRID, fpr, tpr)


def _pr_on_grid(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    from sklearn.metrics import precision_recall_curve

    precision, recall, _ = precision_recall_curve(y, s)
    # recall falls along the arrays: reverse so np.interp sees it rising; the interpolated
    # precision at recall r is the best precision reachable at recall >= r (the usual envelope)
    env = np.maximum.accumulate(precision[::-1])[::-1]
    return np.interp(GRID, recall[::-1], env[::-1])


def _band(
    y: np.ndarray, s: np.ndarray, on_grid: Callable[[np.ndarray, np.ndarray], np.ndarray], seed: int
) -> Band:
    rng = np.random.default_rng(seed)
    point = on_grid(y, s)
    draws = []
    for _ in range(BAND_RESAMPLES):
        idx = rng.integers(0, len(y), len(y))
        if y[idx].min() == y[idx].max():
            continue  # a resample with one class has no curve
        draws.append(on_grid(y[idx], s[idx]))
    d = np.array(draws)
    a = (1 - LEVEL) / 2
    return Band(
        GRID,
        point,
        np.quantile(d, a, axis=0),
        np.quantile(d, 1 - a, axis=0),
        len(y),
        f"pointwise percentile bootstrap, {len(d)} resamples of the rows",
    )


def roc_band(y: np.ndarray, score: np.ndarray, seed: int = 0) -> Band:
    """True-positive rate at each false-positive rate of the grid, with its band."""
    return _band(y, score, _roc_on_grid, seed)


def pr_band(y: np.ndarray, score: np.ndarray, seed: int = 0) -> Band:
    """Precision at each recall of the grid (interpolated envelope), with its band."""
    return _band(y, score, _pr_on_grid, seed)


@dataclass(frozen=True)
class Reliability:
    """Per bin of predicted probability: the mean prediction and the observed frequency."""

    mean_predicted: np.ndarray
    observed: list[Estimate]
    what: str  # the probability on the x axis


def reliability(hit: np.ndarray, prob: np.ndarray, what: str, bins: int = 10) -> Reliability:
    """Equal-count bins of ``prob`` (at most ``bins``), each with its Wilson interval."""
    order = np.argsort(prob, kind="stable")
    groups = [g for g in np.array_split(order, min(bins, max(1, len(prob) // 10))) if len(g)]
    mean = np.array([prob[g].mean() for g in groups])
    observed = [wilson_interval(int(hit[g].sum()), len(g), LEVEL) for g in groups]
    return Reliability(mean, observed, what)


@dataclass(frozen=True)
class CostCurve:
    """Expected cost per row at each threshold, with a normal interval of the mean."""

    thresholds: np.ndarray
    cost: np.ndarray
    low: np.ndarray
    high: np.ndarray
    chosen: float
    at_chosen: Estimate
    best: float
    at_best: Estimate


def cost_curve(y: np.ndarray, score: np.ndarray, costs: Costs, chosen: float = 0.5) -> CostCurve:
    """Each row's cost (false positive, false negative, or nothing) averaged at each threshold;
    the interval is the mean's Student's t interval over rows."""
    thresholds = np.linspace(0.01, 0.99, 99)
    n = len(y)
    t = float(stats.t.ppf(0.5 + LEVEL / 2, max(n - 1, 1)))

    def at(th: float) -> Estimate:
        flag = score >= th
        row = np.where(flag & (y == 0), costs.false_positive, 0.0) + np.where(
            ~flag & (y == 1), costs.false_negative, 0.0
        )
        m, se = float(row.mean()), float(row.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
        return Estimate(m, m - t * se, m + t * se, LEVEL, n, "Student's t of the mean row cost")

    ests = [at(float(th)) for th in thresholds]
    cost = np.array([e.value for e in ests])
    best = float(thresholds[int(np.argmin(cost))])
    return CostCurve(
        thresholds,
        cost,
        np.array([e.low for e in ests]),
        np.array([e.high for e in ests]),
        chosen,
        at(chosen),
        best,
        at(best),
    )


class _Scored:
    """The smallest estimator ``permutation_importance`` accepts: a fitted predict-proba."""

    def __init__(self, proba: Callable[[Any], np.ndarray]) -> None:
        self.proba = proba

    def fit(self, X: Any, y: Any) -> _Scored:  # pragma: no cover - never refitted
        return self


@dataclass(frozen=True)
class Importance:
    """One column's permutation importance: the drop of the score when its values are shuffled."""

    feature: str
    drop: Estimate


def permutation_importances(
    proba: Callable[[Any], np.ndarray],
    X: pd.DataFrame,
    y: np.ndarray,
    score: Callable[[np.ndarray, np.ndarray], float],
    score_name: str,
    *,
    n_repeats: int = 10,
    seed: int = 0,
) -> list[Importance]:
    """sklearn's permutation importance on held-out rows, largest first; the interval is Student's
    t over the repeats (it covers the shuffling's noise, not the sampling of the rows)."""
    from sklearn.inspection import permutation_importance

    def scorer(est: _Scored, X_: Any, y_: Any) -> float:
        return score(np.asarray(y_), est.proba(X_))

    r = permutation_importance(
        _Scored(proba), X, y, scoring=scorer, n_repeats=n_repeats, random_state=seed, n_jobs=1
    )
    t = float(stats.t.ppf(0.5 + LEVEL / 2, n_repeats - 1))
    out = []
    for i, col in enumerate(X.columns):
        reps = r.importances[i]
        m, se = float(reps.mean()), float(reps.std(ddof=1) / np.sqrt(n_repeats))
        method = (
            f"drop in {score_name} on {len(y):,} held-out rows, mean of {n_repeats} "
            "shuffles, Student's t over the shuffles"
        )
        out.append(
            Importance(str(col), Estimate(m, m - t * se, m + t * se, LEVEL, n_repeats, method))
        )
    return sorted(out, key=lambda i: -i.drop.value)


@dataclass(frozen=True)
class Gallery:
    """Rows worth looking at: the most confident right and wrong answers, the least certain."""

    confident_right: pd.DataFrame
    confident_wrong: pd.DataFrame
    uncertain: pd.DataFrame


def gallery(
    X: pd.DataFrame,
    y: np.ndarray,
    proba: np.ndarray,
    classes: list[Any],
    columns: list[str],
    k: int = 5,
) -> Gallery:
    """``k`` rows of each kind, with the true and predicted class, the confidence and ``columns``."""
    pred = np.argmax(proba, axis=1)
    conf = proba.max(axis=1)
    labels = np.asarray([str(c) for c in classes], dtype=object)
    frame = pd.DataFrame(
        {
            "row": X.index.astype(str),
            "true": labels[y],
            "predicted": labels[pred],
            "confidence": conf,
        }
    )
    frame = pd.concat([frame, X[columns].reset_index(drop=True)], axis=1)
    right = pred == y
    by_conf = np.argsort(-conf, kind="stable")
    # uncertain: the smallest margin between the two most likely classes
    top2 = np.sort(proba, axis=1)[:, -2:] if proba.shape[1] > 1 else np.ones((len(y), 2))
    margin = top2[:, 1] - top2[:, 0]
    return Gallery(
        frame.iloc[[i for i in by_conf if right[i]][:k]],
        frame.iloc[[i for i in by_conf if not right[i]][:k]],
        frame.iloc[np.argsort(margin, kind="stable")[:k]],
    )
