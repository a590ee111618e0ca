"""What training costs as data grows: fit time and peak memory against rows, as power laws.

``cost(n) = c + a * n^b`` (a fixed overhead plus a growing part), fitted to relative error: for each
exponent on a grid, ``c`` and ``a`` follow by non-negative least squares on ``cost / cost``; the
prediction interval is the t interval of the fit's residuals in log space, widened by the distance
from the anchors (the leverage of a log-log regression).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats as sps
from scipy.optimize import nnls

from candor.stats import Estimate

_EXPONENTS = np.linspace(0.2, 3.0, 57)
#: prior on the exponent: linear models and boosting train in about O(n) (see REFERENCES.md)
PRIOR_EXPONENT, PRIOR_SD = 1.0, 0.35
#: fit time's: how far the exponent that holds past the anchors may differ from the fitted one,
#: beyond what the anchors' scatter allows (an overhead that stops dominating, caches, a solver
#: that needs more iterations, a busy machine). Chosen by leave-one-dataset-out on
#: bench/forecast.py's two panels (81 fit-time backtests at 4x; bench/forecast_time.py): for each
#: dataset the smallest value on a grid whose 90% intervals held at least 90% of the other eight's.
#: All 9 chose 0.35 (held out of sample: 74/81 = 0.91). Without it the intervals held 0.76 on the
#: real tables and on LCDB 1.0's curves; at 0.35, 0.91 on the real tables and 0.96 on LCDB's,
#: which played no part in the choice (bench/README.md)
TIME_EXPONENT_SD = 0.35


@dataclass(frozen=True)
class CostCurve:
    """A fitted ``c + a * n^b`` for one cost (seconds, bytes), with its log-space residual spread."""

    what: str
    unit: str
    overhead: float
    scale: float
    exponent: float
    #: residual standard deviation in log space, its degrees of freedom, and the anchors' log sizes
    log_sd: float
    df: int
    log_sizes: np.ndarray
    level: float
    n_points: int
    #: (c, a, b) of every exponent the data cannot tell from the chosen one
    plausible: tuple[tuple[float, float, float], ...] = ()
    #: the smallest measurement at the largest size: more rows are not forecast to cost less
    floor: float = 0.0
    #: the exponent's error past the anchors beyond what they show (TIME_EXPONENT_SD for time)
    exponent_sd: float = 0.0
    #: the exponents the measurements alone allow (the likelihood region, without the prior)
    exponent_range: tuple[float, float] | None = None

    def _point(self, n: np.ndarray) -> np.ndarray:
        return np.asarray(self.overhead + self.scale * np.power(n, self.exponent))

    def estimate(self, n: float) -> Estimate:
        """The cost at ``n`` rows with its prediction interval."""
        point = float(self._point(np.array([float(n)]))[0])
        ls = self.log_sizes
        sxx = float(np.sum((ls - ls.mean()) ** 2))
        lev = 1.0 / len(ls) + ((math.log(n) - float(ls.mean())) ** 2 / sxx if sxx > 0 else 0.0)
        t = float(sps.t.ppf(0.5 + self.level / 2, max(self.df, 1)))
        half = t * self.log_sd * math.sqrt(1.0 + lev)
        beyond = max(0.0, math.log(n) - float(self.log_sizes.max()))
        if beyond > 0 and self.exponent_sd > 0:
            z = float(sps.norm.ppf(0.5 + self.level / 2))
            half = math.sqrt(half**2 + (z * self.exponent_sd * beyond) ** 2)
        others = [c + a * float(n) ** b for c, a, b in self.plausible] or [point]
        low = min(point, *others) * math.exp(-half)
        largest = math.exp(float(self.log_sizes.max()))
        # more rows never cost less than the largest anchor did: not less than its interval
        # there, nor than its fastest (smallest) measurement
        if n > largest:
            low = max(low, self.estimate(largest).low)
        if n >= largest:
            low = max(low, self.floor)
        return Estimate(
            point,
            min(low, point),
            max(point, *others) * math.exp(half),
            self.level,
            self.n_points,
            f"power law {self.what} = c + a n^{self.exponent:.2f}, fitted to {self.n_points} "
            "measurements; interval from log-space residuals and the exponents the data allow"
            + (
                f", widened past the anchors by an exponent error of {self.exponent_sd:g}"
                if self.exponent_sd > 0
                else ""
            ),
        )

    def exponent_estimate(self) -> Estimate:
        """The fitted exponent b, with every exponent the data cannot tell from it (the profile
        likelihood region the forecasts' intervals span too)."""
        bs = [b for _, _, b in self.plausible] + list(self.exponent_range or ())
        return Estimate(
            self.exponent,
            min(self.exponent, *bs),
            max(self.exponent, *bs),
            self.level,
            self.n_points,
            "exponents whose fit the measurements cannot tell from the best one (profile "
            f"likelihood on a grid of {_EXPONENTS[1] - _EXPONENTS[0]:.2f}, with and without the "
            "prior towards 1)",
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "unit": self.unit,
            "formula": f"{self.what} = overhead + scale * n^exponent",
            "overhead": self.overhead,  # the chosen fit's parameters, given its exponent
            "scale": self.scale,
            "exponent": self.exponent_estimate().to_dict(),
            "log_sd": self.log_sd,
            "n_points": self.n_points,
        }


def fit_cost_curve(
    sizes: Any,
    values: Any,
    *,
    what: str = "fit time",
    unit: str = "s",
    level: float = 0.90,
    exponent_sd: float = 0.0,
) -> CostCurve | None:
    """Fit ``values`` (repeats x sizes, or one per size) against ``sizes``; None without 2 sizes
    that have a positive measurement. ``exponent_sd`` widens forecasts past the largest size in
    log space, by that much uncertainty in the exponent per unit of log distance.

    >>> import numpy as np
    >>> n = np.array([100, 200, 400, 800, 1600])
    >>> curve = fit_cost_curve(n, 0.01 + 2e-5 * n ** 1.5)
    >>> round(curve.exponent, 1)
    1.5
    """
    sizes = np.asarray(sizes, dtype=float)
    V = np.atleast_2d(np.asarray(values, dtype=float))
    n = np.broadcast_to(sizes, V.shape).ravel()
    v = V.ravel()
    keep = np.isfinite(v) & (v > 0)
    n, v = n[keep], v[keep]
    if len(np.unique(n)) < 2:
        return None
    fits = []
    for b in _EXPONENTS:
        # relative least squares: each row divided by the measurement
        A = np.stack([np.ones_like(n), np.power(n, b)], axis=1) / v[:, None]
        coef, _ = nnls(A, np.ones_like(v))
        pred = coef[0] + coef[1] * np.power(n, b)
        if not np.all(pred > 0):
            continue
        fits.append(
            (float(np.sum(np.log(v / pred) ** 2)), float(coef[0]), float(coef[1]), float(b))
        )
    if not fits:
        return None
    # small fits are dominated by fixed overheads and timer noise, where any exponent fits about
    # as well: a prior pulls the exponent towards PRIOR_EXPONENT unless the data clearly say
    # otherwise (a kernel SVM's 2-3 shows through; noise around a flat line does not become n^3)
    noise = min(f[0] for f in fits) / max(len(v) - 3, 1)
    score = np.array([f[0] + noise * ((f[3] - PRIOR_EXPONENT) / PRIOR_SD) ** 2 for f in fits])
    sse, c, a, b = fits[int(np.argmin(score))]
    # every exponent the data cannot tell from the best (a profile-likelihood region): a forecast
    # far from the anchors is as uncertain as the spread of these curves
    allowance = noise * float(sps.chi2.ppf(level, 1))
    cut = float(score.min()) + allowance
    plausible = tuple((f[1], f[2], f[3]) for f, sc in zip(fits, score, strict=True) if sc <= cut)
    # the same region from the measurements alone: the prior pulls it towards 1, and a reported
    # exponent's interval must hold a true 2 as often as a true 1
    best_sse = min(f[0] for f in fits)
    alone = [f[3] for f in fits if f[0] <= best_sse + allowance]
    df = max(len(v) - 3, 1)
    return CostCurve(
        what,
        unit,
        c,
        a,
        b,
        math.sqrt(sse / df),
        df,
        np.log(np.unique(n)),
        level,
        len(v),
        plausible,
        float(v[n == n.max()].min()),
        exponent_sd,
        (min(alone), max(alone)),
    )
