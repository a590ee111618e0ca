"""Intervals for proportions (accuracy, error rate): Wilson, exact Clopper-Pearson, rule of three.

Never Wald: it collapses to a zero-width interval at 0 or n successes and undercovers near the edges.
"""

from __future__ import annotations

import math

from scipy import stats

from candor.stats._estimate import Estimate


def _check(k: int, n: int, level: float) -> None:
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    if not 0 <= k <= n:
        raise ValueError(f"k must be between 0 and n={n}, got {k}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")


def wilson_interval(k: int, n: int, level: float = 0.95) -> Estimate:
    """Wilson score interval for ``k`` successes in ``n`` trials.

    >>> e = wilson_interval(0, 300)
    >>> round(e.high, 4)
    0.0126
    """
    _check(k, n, level)
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at 0 or n successes the bound is exactly 0 or 1; floating point would leave it 1e-18 away
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Estimate(p, low, high, level, n, "Wilson")


def clopper_pearson_interval(k: int, n: int, level: float = 0.95) -> Estimate:
    """Exact (Clopper-Pearson) interval: conservative, used when there are 0 or n successes.

    >>> round(clopper_pearson_interval(0, 300).high, 4)
    0.0122
    """
    _check(k, n, level)
    alpha = 1 - level
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return Estimate(k / n, low, high, level, n, "Clopper-Pearson exact")


def rule_of_three_upper(n: int, level: float = 0.95) -> float:
    """One-sided upper bound on a rate after 0 events in ``n`` trials: 1 - (1-level)^(1/n) ≈ 3/n.

    >>> round(rule_of_three_upper(300), 4)
    0.0099
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    return 1.0 - (1.0 - level) ** (1.0 / n)
