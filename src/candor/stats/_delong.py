"""DeLong's variance of ROC AUC, by the O(n log n) midrank algorithm of Sun & Xu (2014).

Used for the AUC's interval when rows are independent, and for the paired test of two models'
AUCs on the same rows (the covariance comes for free).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from candor.stats._estimate import Estimate
from candor.stats._proportion import clopper_pearson_interval


def _midranks(x: np.ndarray) -> np.ndarray:
    """1-based ranks with ties given the mean of their ranks (rows of ``x`` ranked independently)."""
    return np.asarray(stats.rankdata(x, axis=-1), dtype=float)


@dataclass(frozen=True, slots=True)
class DelongResult:
    """AUCs of k score vectors on the same rows and their k×k DeLong covariance."""

    auc: np.ndarray
    covariance: np.ndarray
    n_positive: int
    n_negative: int


def delong(y_true: np.ndarray, scores: np.ndarray) -> DelongResult:
    """AUC and covariance for one (n,) or several (k, n) score vectors against binary ``y_true``."""
    y = np.asarray(y_true).astype(bool)
    s = np.atleast_2d(np.asarray(scores, dtype=float))
    pos, neg = s[:, y], s[:, ~y]
    m, n = pos.shape[1], neg.shape[1]
    if m == 0 or n == 0:
        raise ValueError("ROC AUC needs both classes among the rows")
    tx, ty = _midranks(pos), _midranks(neg)
    tz = _midranks(np.concatenate([pos, neg], axis=1))
    auc = (tz[:, :m].sum(axis=1) / m - (m + 1) / 2.0) / n
    v01 = (tz[:, :m] - tx) / n
    v10 = 1.0 - (tz[:, m:] - ty) / m
    sx = np.atleast_2d(np.cov(v01)) if m > 1 else np.zeros((s.shape[0], s.shape[0]))
    sy = np.atleast_2d(np.cov(v10)) if n > 1 else np.zeros((s.shape[0], s.shape[0]))
    return DelongResult(auc, sx / m + sy / n, m, n)


def delong_interval(y_true: np.ndarray, score: np.ndarray, level: float = 0.95) -> Estimate:
    """Interval for ROC AUC from DeLong's variance, built on the logit scale.

    The logit transform keeps the interval inside (0, 1) and repairs the plain normal interval's
    undercoverage near 1. With perfect separation the variance is 0 and says nothing; the interval
    then falls back to an exact binomial bound on min(positives, negatives) "trials", which is
    conservative.
    """
    res = delong(y_true, score)
    auc, var = float(res.auc[0]), float(res.covariance[0, 0])
    n = res.n_positive + res.n_negative
    z = float(stats.norm.ppf(0.5 + level / 2))
    if 0.0 < auc < 1.0 and var > 0:
        se_logit = math.sqrt(var) / (auc * (1 - auc))
        centre = math.log(auc / (1 - auc))
        low, high = (1 / (1 + math.exp(-(centre + k * z * se_logit))) for k in (-1, 1))
        return Estimate(auc, low, high, level, n, "DeLong (logit)")
    if 0.0 < auc < 1.0:
        # zero variance without separation: every score tied (a constant model ranks nothing)
        return Estimate(auc, auc, auc, level, n, "DeLong (all scores tied)")
    k = min(res.n_positive, res.n_negative)
    bound = clopper_pearson_interval(k if auc >= 0.5 else 0, k, level)
    return Estimate(auc, bound.low, bound.high, level, n, "exact bound (separable classes)")


def delong_paired(
    y_true: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, level: float = 0.95
) -> tuple[Estimate, float]:
    """Interval of AUC(a) - AUC(b) on the same rows, and the two-sided p-value of no difference."""
    res = delong(y_true, np.vstack([score_a, score_b]))
    diff = float(res.auc[0] - res.auc[1])
    c = res.covariance
    var = float(c[0, 0] + c[1, 1] - 2 * c[0, 1])
    n = res.n_positive + res.n_negative
    z = float(stats.norm.ppf(0.5 + level / 2))
    if var <= 0:
        p = 1.0 if diff == 0 else 0.0
        return Estimate(diff, diff, diff, level, n, "DeLong paired"), p
    se = math.sqrt(var)
    p = float(2 * stats.norm.sf(abs(diff) / se))
    return Estimate(diff, diff - z * se, diff + z * se, level, n, "DeLong paired"), p
