"""A learning curve from anchors: several families fitted, combined by how well each forecasts
held-out anchors, with a prediction interval from a bootstrap over the repeats, the families'
disagreement and the errors the curve made forecasting its own larger anchors from smaller ones."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats as sps

from candor.errors import DataError
from candor.forecast._families import FAMILIES, Family
from candor.forecast._fit import FamilyFit, fit_family
from candor.stats import Estimate

#: bootstrap resamples of the repeats
N_BOOT = 200
#: the holdout that weighs the families: anchors above this share of the largest are hidden and
#: forecast from the rest (with anchors spaced by sqrt(2): the last two, a 2x extrapolation)
HOLDOUT_SHARE = 0.55
#: a standard error is never taken below this share of the score's spread (nor below SE_FLOOR)
SE_FLOOR = 1e-3
#: how much the extrapolation error (the curve's typical error per doubling of rows past its
#: largest anchor, seen from every origin) widens the interval. Chosen by leave-one-dataset-out on
#: bench/forecast.py's two panels (9 datasets x 9 rungs x 2 metrics, 162 backtests): for each
#: dataset, the smallest value on a grid whose 90% intervals held at least 90% of the other eight's
#: truths. With pow2 among the families (2026-12-03), 6 of the 9 datasets chose 0.5 and 3 chose
#: 0.375; out of sample the intervals held 146 of 162 truths (0.90), 0.068 wide on average
#: (bench/README.md)
STRUCTURAL = 0.5
#: forecasts beyond this many times the largest anchor are flagged as far outside the range
FAR_RATIO = 20.0
#: an interval wider than this share of a bounded metric's range (0.2 of accuracy's 0-1) is flagged
#: as too wide to plan with; on an unbounded one, wider than WIDE_RISE times the anchors' rise. On
#: bench/forecast.py's 162 backtests the 8 flagged at 0.2 missed by 0.123 on average, the others
#: by 0.010, and 3 of the 8 had no other warning
WIDE_SHARE = 0.2
WIDE_RISE = 2.0
#: family weights are 1 / (holdout error^2 + floor), the floor being the hidden anchors' noise plus
#: this share of the median family's squared error: families that all miss alike weigh alike
TEMPER = 1.0


@dataclass(frozen=True)
class Anchors:
    """Scores measured at training-set sizes: ``scores[r, k]`` is repeat r at ``sizes[k]`` rows."""

    sizes: np.ndarray
    scores: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """Each size's mean over the repeats that scored; NaN (not numpy's "Mean of empty slice"
        warning) where none did, as a bootstrap resample of repeats that failed there may."""
        r = self.repeats
        total = np.nansum(self.scores, axis=0)
        return np.asarray(np.where(r > 0, total / np.maximum(r, 1), np.nan))

    @property
    def repeats(self) -> np.ndarray:
        return np.asarray((~np.isnan(self.scores)).sum(axis=0))

    @property
    def se(self) -> np.ndarray:
        r = self.repeats
        dev = np.where(np.isnan(self.scores), 0.0, self.scores - self.mean)
        var = np.square(dev).sum(axis=0) / np.maximum(r - 1, 1)
        sd = np.where(r > 1, np.sqrt(var), 0.0)  # one repeat (or none): no spread to measure
        return np.asarray(sd / np.sqrt(np.maximum(r, 1)))


@dataclass(frozen=True)
class RowsNeeded:
    """How many training rows reach a target score, or why it cannot be said."""

    target: float
    estimate: Estimate | None
    reachable: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "reachable": self.reachable,
            "rows": None if self.estimate is None else self.estimate.to_dict(),
            "reason": self.reason,
        }


def _se_floor(a: Anchors) -> np.ndarray:
    se = a.se
    positive = se[se > 0]
    floor = max(SE_FLOOR, 0.25 * float(np.median(positive))) if len(positive) else SE_FLOOR
    return np.maximum(se, floor)


def _fit_all(
    families: list[Family], x: np.ndarray, y: np.ndarray, se: np.ndarray, top: float, refine: bool
) -> dict[str, FamilyFit]:
    out = {}
    for fam in families:
        fit = fit_family(fam, x, y, se, top, refine=refine)
        if fit is not None:
            out[fam.name] = fit
    return out


@dataclass
class LearningCurve:
    """Fitted families, their weights, and bootstrap fits for intervals (oriented: higher is better)."""

    anchors: Anchors
    sign: float
    top: float
    level: float
    scale: float  # sizes are divided by this (the largest anchor) before fitting
    fits: dict[str, FamilyFit]
    weights: dict[str, float]
    holdout_error: dict[str, float]
    #: the combined curve's error on the hidden anchors (oriented units)
    combined_holdout_error: float | None
    #: the combined curve's typical error per doubling of rows past its largest anchor: from each
    #: origin (the anchors up to one, three at least), the root mean square of its forecasts' errors
    #: on the later anchors, each divided by log2 of its distance; then the median over origins
    extrapolation_error: float | None
    #: the worst score the metric can take (oriented; -inf when unbounded)
    bottom: float = -math.inf
    #: the anchor sizes hidden to weigh the families (``holdout_error`` is measured on them)
    holdout_sizes: tuple[int, ...] = ()
    boot: list[dict[str, FamilyFit]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    # -- forecasts in oriented units --------------------------------------------------------------
    def _combined(self, fits: dict[str, FamilyFit], x: np.ndarray) -> np.ndarray:
        total = np.zeros(len(x))
        wsum = 0.0
        for name, w in self.weights.items():
            if name in fits and w > 0:
                total += w * fits[name](x)
                wsum += w
        return total / wsum if wsum > 0 else np.full(len(x), np.nan)

    @property
    def _z(self) -> float:
        """The normal quantile of the interval's level (1.645 at 90%)."""
        return float(sps.norm.ppf(0.5 + self.level / 2))

    def _interval(self, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        point, family, boot, structural = self._sd_terms(np.asarray(n, dtype=float))
        half = self._z * np.sqrt(family**2 + boot**2 + structural**2)
        point = np.clip(point, self.bottom, self.top)
        low = np.clip(point - half, self.bottom, self.top)
        high = np.clip(point + half, self.bottom, self.top)
        return point, low, high

    def _sd_terms(self, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The point forecast at ``n`` rows (unclipped) and the three standard deviations the
        interval adds in quadrature: the families' weighted spread, the bootstrap over repeats,
        and the structural (extrapolation) term."""
        x = n / self.scale
        point = self._combined(self.fits, x)
        spread = np.zeros(len(x))
        for name, w in self.weights.items():
            if name in self.fits and w > 0:
                spread += w * (self.fits[name](x) - point) ** 2
        family = np.sqrt(spread / max(sum(self.weights.values()), 1e-300))
        boot = np.zeros(len(x))
        if len(self.boot) > 1:
            # the bootstrap's spread from its quantiles, not its variance: one degenerate refit
            # (a family running off to a huge offset on a resample) must not blow up the band
            draws = np.array([self._combined(b, x) for b in self.boot])
            q = np.nanquantile(draws, [0.5 - self.level / 2, 0.5 + self.level / 2], axis=0)
            boot = (q[1] - q[0]) / (2 * self._z)
        return point, family, boot, self._structural(x)

    def _structural(self, x: np.ndarray) -> np.ndarray:
        """The extrapolation error the curve showed on its own anchors, grown with the distance
        past the largest anchor (in doublings of rows)."""
        if self.extrapolation_error is None:
            return np.zeros(len(x))
        doublings = np.log2(np.maximum(x, 1.0))
        return np.asarray(STRUCTURAL * self.extrapolation_error * doublings)

    def _unorient(self, v: np.ndarray) -> np.ndarray:
        return np.asarray(v * self.sign)

    def predict(self, n: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point forecasts and interval bounds at ``n`` training rows, in the metric's own units."""
        point, low, high = self._interval(np.atleast_1d(np.asarray(n, dtype=float)))
        p, lo, hi = self._unorient(point), self._unorient(low), self._unorient(high)
        return p, np.minimum(lo, hi), np.maximum(lo, hi)

    def estimate(self, n: float, method: str = "") -> Estimate:
        p, lo, hi = self.predict([n])
        return Estimate(
            float(p[0]),
            float(lo[0]),
            float(hi[0]),
            self.level,
            int(self.anchors.repeats.sum()),
            method or self.method,
        )

    def plateau(self) -> Estimate:
        """The score the combined curve levels off at, with the bootstrap's and families' spread."""
        finite = self.anchors.scores[np.isfinite(self.anchors.scores)]
        if len(finite) and float(np.ptp(finite)) == 0.0:
            # every fit scored the same (a model that predicts one value: ROC AUC 0.5 exactly):
            # there is no curve, and a family that levels off at the metric's best must not
            # pull its plateau off that score
            v = float(finite[0])
            return Estimate(
                v,
                v,
                v,
                self.level,
                int(self.anchors.repeats.sum()),
                "every fit at every anchor scored the same: no curve to level off",
            )
        names = [k for k, w in self.weights.items() if w > 0 and k in self.fits]
        wsum = sum(self.weights[k] for k in names)
        point = sum(self.weights[k] * self.fits[k].plateau for k in names) / wsum
        var = sum(self.weights[k] * (self.fits[k].plateau - point) ** 2 for k in names) / wsum
        draws = [
            sum(self.weights[k] * b[k].plateau for k in names) / wsum
            for b in self.boot
            if all(k in b for k in names)
        ]
        z = self._z
        if len(draws) > 1:
            q = np.quantile(draws, [0.5 - self.level / 2, 0.5 + self.level / 2])
            var += float((q[1] - q[0]) / (2 * z)) ** 2
        # the plateau lies beyond every forecast: at least the extrapolation error of the
        # farthest forecast candor stands behind
        var += float(self._structural(np.array([FAR_RATIO]))[0]) ** 2
        half = z * math.sqrt(var)
        point = min(max(point, self.bottom), self.top)
        lo = min(max(point - half, self.bottom), self.top)
        hi = min(max(point + half, self.bottom), self.top)
        v, a, b = (self.sign * t for t in (point, lo, hi))
        return Estimate(
            float(v),
            float(min(a, b)),
            float(max(a, b)),
            self.level,
            int(self.anchors.repeats.sum()),
            "plateau of the weighted learning-curve families; bootstrap and family spread",
        )

    def family_plateau(self, name: str) -> Estimate:
        """One family's plateau, in the metric's units, with the bootstrap's interval over the
        repeats (the combined curve's is ``plateau``). With one repeat per anchor there is
        nothing to resample: the interval is the point, and the method says so."""
        fit = self.fits[name]
        v = self.sign * fit.plateau
        n = int(self.anchors.repeats.sum())
        if fit.family.at_best:
            return Estimate(
                v,
                v,
                v,
                self.level,
                n,
                "not fitted: this family's curve approaches the metric's best value",
            )
        draws = np.array([b[name].plateau for b in self.boot if name in b], dtype=float)
        draws = draws[np.isfinite(draws)]
        if len(draws) < 2:
            return Estimate(
                v, v, v, self.level, n, "the family's fitted plateau; no bootstrap (one repeat)"
            )
        # centred on the fit, as ``plateau`` is: the resamples' fits are not refined, so their
        # percentiles can sit a little off the refined fit; their spread is what they tell
        q = np.quantile(draws, [0.5 - self.level / 2, 0.5 + self.level / 2])
        half = float(q[1] - q[0]) / 2
        ends = [self.sign * min(max(fit.plateau + d, self.bottom), self.top) for d in (-half, half)]
        return Estimate(
            v,
            min(ends),
            max(ends),
            self.level,
            n,
            f"the family's fitted plateau, +- half the spread of its refits on {len(draws)} "
            "bootstrap resamples of the repeats",
        )

    def _solve(self, bound: int, target: float, hi_n: float) -> float:
        """Fewest rows at which the point curve (bound 0), its low (1) or high (2) bound first
        reaches ``target`` (oriented); inf if it never does below ``hi_n``. The search starts at
        the smallest anchor: below it the curve is extrapolated backwards, where the families
        diverge and a bound can reach anything. The bounds need not rise with n (the interval
        widens with distance), so the first crossing is found on a grid of log rows and then
        refined by bisection."""
        lo_n = float(self.anchors.sizes[0])
        grid = np.geomspace(lo_n, max(hi_n, lo_n * 1.01), 400)
        values = self._interval(grid)[bound]
        reached = np.flatnonzero(values >= target)
        if len(reached) == 0:
            return math.inf
        k = int(reached[0])
        if k == 0:
            return lo_n
        a, b = math.log(grid[k - 1]), math.log(grid[k])
        for _ in range(60):
            mid = (a + b) / 2
            if float(self._interval(np.array([math.exp(mid)]))[bound][0]) >= target:
                b = mid
            else:
                a = mid
        return math.exp(b)

    def rows_needed(self, target: float, *, max_rows: float = 1e12) -> RowsNeeded:
        """Training rows at which the forecast reaches ``target`` (in the metric's units).

        The interval comes from inverting the interval's bounds: the optimistic bound reaches the
        target first, the pessimistic one last (or never, when it levels off below the target).
        """
        t = self.sign * target
        if t > self.top:
            raise DataError(
                f"target {target} is beyond the metric's best possible value {self.sign * self.top}"
            )
        smallest = float(self.anchors.sizes[0])
        first_score = float(self.anchors.mean[0]) * self.sign
        if first_score >= t:
            return RowsNeeded(
                target,
                None,
                True,
                f"already reached at the smallest anchor: {smallest:,.0f} rows scored "
                f"{self.sign * first_score:.4g}",
            )
        n = self._solve(0, t, max_rows)
        first = self._solve(2, t, max_rows)
        plateau = self.plateau()
        levels = (
            f"its curve levels off near {plateau.value:.4g} ({plateau.low:.4g} to "
            f"{plateau.high:.4g})"
        )
        if math.isinf(first):
            return RowsNeeded(
                target, None, False, f"out of reach of this model: {levels}, short of {target}"
            )
        if math.isinf(n):
            return RowsNeeded(
                target,
                None,
                False,
                f"probably out of reach of this model: {levels}. The point forecast never "
                f"reaches {target}; only the optimistic end of its {self.level:.0%} interval "
                + (
                    f"does, from about {first:,.0f} rows"
                    if first > smallest
                    else f"does, already at the smallest anchor ({smallest:,.0f} rows): the "
                    "interval is too wide there to rule the target in or out"
                ),
            )
        last = self._solve(1, t, max_rows)
        n, first = max(n, smallest), max(first, smallest)
        est = Estimate(
            n,
            first,
            last,
            self.level,
            int(self.anchors.repeats.sum()),
            "learning-curve forecast inverted (its interval's bounds inverted too)",
        )
        reason = ""
        if math.isinf(last):
            reason = "the pessimistic bound never reaches it: it may be out of reach"
        return RowsNeeded(target, est, True, reason)

    def caveats(self, n: float | None = None) -> list[str]:
        """Why a forecast (at ``n`` rows) may not be worth much; empty when nothing stands out."""
        out = list(self.warnings)
        if n is not None:
            wide = self._too_wide(n)
            if wide:
                out.append(wide)
            ratio = n / float(self.anchors.sizes[-1])
            if ratio > FAR_RATIO:
                out.append(
                    f"{n:,.0f} rows is {ratio:.0f}x the largest anchor: far outside the observed "
                    "range, so treat it as a rough guess"
                )
        return out

    def _too_wide(self, n: float) -> str:
        """A note when the interval at ``n`` rows is too wide to plan with, else empty."""
        _, lo, hi = self.predict([n])
        width = float(hi[0] - lo[0])
        if math.isfinite(self.bottom) and math.isfinite(self.top):
            if width <= WIDE_SHARE * (self.top - self.bottom):
                return ""
            than = f"{width / (self.top - self.bottom):.0%} of the metric's whole range"
        else:
            rise = abs(float(self.anchors.mean[-1] - self.anchors.mean[0]))
            if rise == 0 or width <= WIDE_RISE * rise:  # a flat curve has its own warning
                return ""
            than = f"{width / rise:.1f}x the score's rise over the anchors"
        return (
            f"too wide to plan with: the {self.level:.0%} interval at {n:,.0f} rows is {width:.2g} "
            f"wide ({lo[0]:.3g} to {hi[0]:.3g}), {than}; larger anchors or more repeats would "
            "narrow it"
        )

    @property
    def method(self) -> str:
        used = [
            f"{k} {w:.0%}"
            for k, w in sorted(self.weights.items(), key=lambda kv: -kv[1])
            if w >= 0.005
        ]
        held = (
            " and its errors forecasting larger anchors from smaller ones"
            if self.extrapolation_error is not None
            else " (too few anchors to hold any out)"
        )
        return (
            "learning-curve forecast ("
            + ", ".join(used)
            + f"); interval: bootstrap over {self.anchors.scores.shape[0]} repeated fits per "
            f"anchor, family spread{held}; n = {int(self.anchors.repeats.sum())} fits"
        )


def fit_learning_curve(
    sizes: Any,
    scores: Any,
    *,
    greater_is_better: bool = True,
    best: float | None = 1.0,
    worst: float | None = None,
    level: float = 0.90,
    families: list[str] | None = None,
    n_boot: int = N_BOOT,
    seed: int = 0,
) -> LearningCurve:
    """Fit learning-curve families to ``scores`` (repeats x sizes) and combine them.

    Each family is weighted by how well it forecasts the held-out largest anchors from the smaller
    ones (inverse squared error); the interval adds, in quadrature, the bootstrap over repeats, the
    weighted spread of the families, and the holdout error grown with extrapolation distance.

    >>> import numpy as np
    >>> n = np.array([50, 100, 200, 400, 800])
    >>> truth = 0.95 - 0.5 * n ** -0.5
    >>> rng = np.random.default_rng(0)
    >>> curve = fit_learning_curve(n, truth + rng.normal(0, 0.002, (5, 5)))
    >>> est = curve.estimate(3200)
    >>> bool(est.low <= 0.95 - 0.5 * 3200 ** -0.5 <= est.high)
    True
    """
    sizes = np.asarray(sizes, dtype=float)
    S = np.atleast_2d(np.asarray(scores, dtype=float))
    if S.shape[1] != len(sizes):
        raise DataError(f"scores have {S.shape[1]} columns but there are {len(sizes)} sizes")
    order = np.argsort(sizes)
    sizes, S = sizes[order], S[:, order]
    if len(np.unique(sizes)) != len(sizes):
        raise DataError("anchor sizes repeat: give each training-set size once")
    usable = (~np.isnan(S)).sum(axis=0) > 0
    sizes, S = sizes[usable], S[:, usable]
    if len(sizes) < 3:
        raise DataError(
            f"{len(sizes)} anchor size(s) with a score: a learning curve needs at least 3"
        )
    sign = 1.0 if greater_is_better else -1.0
    top = math.inf if best is None else sign * best
    anchors = Anchors(sizes, S)
    oriented = Anchors(sizes, sign * S)
    if best is not None and np.nanmax(oriented.scores) > top + 1e-9:
        raise DataError(f"a score beyond the metric's best possible value {best}")
    fams = [FAMILIES[f] for f in (families or list(FAMILIES))]
    y, se = oriented.mean, _se_floor(oriented)
    scale = float(sizes[-1])
    x = sizes / scale
    fits = _fit_all(fams, x, y, se, top, refine=True)
    if not fits:
        raise DataError("no learning-curve family could be fitted to these anchors")

    # weigh families by how well they forecast the hidden largest anchors from the rest
    hidden = x > HOLDOUT_SHARE
    if (~hidden).sum() < 3 and len(x) >= 4:  # few anchors: hold out the largest alone
        hidden = np.arange(len(x)) == len(x) - 1
    holdout: dict[str, float] = {}
    combined_err = None
    if hidden.any() and (~hidden).sum() >= 3:
        xs = x[~hidden] / x[~hidden][-1]
        xh = x[hidden] / x[~hidden][-1]
        inner = _fit_all(fams, xs, y[~hidden], se[~hidden], top, refine=True)
        preds = {}
        for name, f in inner.items():
            preds[name] = f(xh)
            holdout[name] = float(np.sqrt(np.mean(np.square(preds[name] - y[hidden]))))
        floor = (
            float(np.mean(se[hidden] ** 2)) + TEMPER * float(np.median(list(holdout.values()))) ** 2
        )
        raw_w = {k: 1.0 / (v**2 + floor) for k, v in holdout.items() if k in fits}
        if raw_w:
            total = sum(raw_w.values())
            weights = {k: v / total for k, v in raw_w.items()}
            comb = sum(weights[k] * preds[k] for k in weights)
            combined_err = float(np.sqrt(np.mean(np.square(comb - y[hidden]))))
        else:
            weights = {k: 1.0 / len(fits) for k in fits}
    else:
        weights = {k: 1.0 / len(fits) for k in fits}
    curve = LearningCurve(
        anchors,
        sign,
        top,
        level,
        scale,
        fits,
        weights,
        holdout,
        combined_err,
        _extrapolation_error(fams, weights, x, y, se, top),
        -math.inf if worst is None else sign * worst,
        tuple(int(v) for v in sizes[hidden]) if holdout else (),
    )
    curve.warnings.extend(_curve_warnings(oriented, se, holdout, combined_err))
    R = oriented.scores.shape[0]
    if R >= 2 and n_boot:
        rng = np.random.default_rng(seed)
        for _ in range(n_boot):
            pick = rng.integers(0, R, R)
            b = Anchors(sizes, oriented.scores[pick])
            yb = b.mean
            if np.isnan(yb).any():
                continue
            curve.boot.append(
                _fit_all([FAMILIES[k] for k in weights], x, yb, se, top, refine=False)
            )
    return curve


def _extrapolation_error(
    families: list[Family],
    weights: dict[str, float],
    x: np.ndarray,
    y: np.ndarray,
    se: np.ndarray,
    top: float,
) -> float | None:
    """The combined curve's typical error per doubling of rows past its largest anchor.

    From every origin (the anchors up to one of them, three at least) the weighted families are
    fitted again and forecast each later anchor; an origin's error is the root mean square of those
    errors, each divided by log2 of how far past the origin it lies. The median over origins is
    robust to the one origin whose few anchors send the fit astray (the first, often). None when
    there are fewer than four anchors.
    """
    used = [f for f in families if weights.get(f.name, 0.0) > 0]
    per_origin = []
    for o in range(2, len(x) - 1):
        inner = _fit_all(used, x[: o + 1] / x[o], y[: o + 1], se[: o + 1], top, refine=True)
        if not inner:
            continue
        later = x[o + 1 :] / x[o]
        total = sum(weights[k] for k in inner)
        comb = sum(weights[k] * inner[k](later) for k in inner) / total
        per_origin.append(
            math.sqrt(float(np.mean(np.square((comb - y[o + 1 :]) / np.log2(later)))))
        )
    return float(np.median(per_origin)) if per_origin else None


def _curve_warnings(
    a: Anchors, se: np.ndarray, holdout: dict[str, float], combined_err: float | None
) -> list[str]:
    y = a.mean
    rise = float(y[-1] - y[0])
    noise = float(np.median(se)) * math.sqrt(float(np.median(np.maximum(a.repeats, 1))))
    out = []
    finite = a.scores[np.isfinite(a.scores)]
    if len(finite) and float(np.ptp(finite)) == 0.0:
        return [
            f"every fit at every anchor scored {finite[0]:.4g}: the model does not change with "
            "more data, so there is no curve to extrapolate"
        ]
    if rise < -2 * float(se[-1] + se[0]):
        out.append(
            "the score falls as training data grows: this curve does not follow a learning curve, "
            "so its forecast is not worth making"
        )
    elif rise <= 0 or noise > rise:
        out.append(
            "the curve is still noisy: repeats differ by as much as the score rises over the "
            "anchors; more repeats or larger anchors would firm it up"
        )
    if (
        combined_err is not None
        and combined_err > 3 * float(se[-1])
        and combined_err > 0.5 * abs(rise)
    ):
        out.append(
            f"the anchors disagree with one another: forecast from the smaller anchors, the largest "
            f"missed by {combined_err:.3g}, more than their noise"
        )
    return out
