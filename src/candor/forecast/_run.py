"""``forecast``: train a rung on a geometric series of training-set sizes, fit its learning curve and
its cost curves, and say what more data (or the data at hand) would buy, with margins."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from candor._task import infer_task
from candor._units import format_bytes
from candor.errors import DataError
from candor.forecast._costs import TIME_EXPONENT_SD, CostCurve, fit_cost_curve
from candor.forecast._curve import LearningCurve, RowsNeeded, fit_learning_curve
from candor.stats import (
    Estimate,
    Metric,
    get_metric,
    metric_value,
    prepare_predictions,
    wilson_interval,
)

Progress = Callable[[str, dict[str, Any]], None]

#: default anchors: shares of the training rows, spaced by sqrt(2) from 1/32 to 1/2
DEFAULT_FRACTIONS = tuple(2.0 ** (-k / 2) for k in range(10, 1, -1))
#: an anchor smaller than this many rows (or 2 per class) is left out: too small to mean anything
MIN_ANCHOR_ROWS = 20
#: the backtest forecasts the largest anchors from those at no more than this share of them
BACKTEST_SHARE = 0.25
DEFAULT_SCALES = (2.0, 5.0, 10.0)
#: the largest multiple of the data a forecast is made for
MAX_SCALE = 1000.0
DEFAULT_LEVEL = 0.90
#: peak-memory measurements below this are too coarse to fit a curve to
MIN_MEASURED_BYTES = 2**20


@dataclass(frozen=True)
class AnchorRun:
    """Every fit behind a forecast: ``scores``, ``fit_seconds`` and ``peak_bytes`` are
    (repeats x sizes) arrays, NaN where a fit failed."""

    sizes: np.ndarray
    scores: np.ndarray
    fit_seconds: np.ndarray
    peak_bytes: np.ndarray
    failures: list[str]
    #: (repeats x sizes): the fitted model predicted the same for every test row (a booster whose
    #: leaves need more rows than it had, say); None where that was not recorded
    constant: np.ndarray | None = None

    def first(self, k: int) -> AnchorRun:
        """The run's ``k`` smallest anchors."""
        return AnchorRun(
            self.sizes[:k],
            self.scores[:, :k],
            self.fit_seconds[:, :k],
            self.peak_bytes[:, :k],
            self.failures,
            None if self.constant is None else self.constant[:, :k],
        )

    def to_dict(self, level: float = 0.90) -> dict[str, Any]:
        """Every fit's figures, and each anchor's mean score and fit time with their t
        intervals at ``level``."""

        def col(a: np.ndarray, k: int) -> list[float | None]:
            return [None if not np.isfinite(v) else float(v) for v in a[:, k]]

        def mean(a: np.ndarray, k: int) -> dict[str, Any] | None:
            e = repeat_mean(a[:, k], level)
            return None if e is None else e.to_dict()

        return {
            "anchors": [
                {
                    "rows": int(n),
                    "mean_score": mean(self.scores, k),
                    "mean_fit_seconds": mean(self.fit_seconds, k),
                    "scores": col(self.scores, k),
                    "fit_seconds": col(self.fit_seconds, k),
                    "peak_bytes": col(self.peak_bytes, k),
                    "constant_fits": (
                        None if self.constant is None else int(self.constant[:, k].sum())
                    ),
                }
                for k, n in enumerate(self.sizes)
            ],
            "failures": self.failures,
        }


@dataclass(frozen=True)
class ScaleForecast:
    """What to expect when training on ``rows`` rows (``factor`` times the data at hand)."""

    factor: float
    rows: int
    score: Estimate
    fit_seconds: Estimate | None
    peak_bytes: Estimate | None
    caveats: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "rows": self.rows,
            "score": self.score.to_dict(),
            "fit_seconds": None if self.fit_seconds is None else self.fit_seconds.to_dict(),
            "peak_bytes": None if self.peak_bytes is None else self.peak_bytes.to_dict(),
            "caveats": self.caveats,
        }


@dataclass
class ForecastResult:
    """A rung's learning curve, its cost curves and the forecasts made from them."""

    rung: str
    task: str
    metric: str
    metric_label: str
    n_rows: int
    anchors: AnchorRun
    curve: LearningCurve
    time_curve: CostCurve | None
    memory_curve: CostCurve | None
    at_full: ScaleForecast
    at_scales: list[ScaleForecast]
    plateau: Estimate
    rows_needed: RowsNeeded | None
    last_anchor: float
    warnings: list[str]
    sentence: str
    seed: int
    seconds: float

    @property
    def on_curve(self) -> np.ndarray:
        """Which anchors the curve was fitted to (False: left out as warm-up), per anchor size."""
        return np.isin(self.anchors.sizes, self.curve.anchors.sizes)

    def __repr__(self) -> str:  # the dataclass's own would print every grid (20 KB)
        return (
            f"ForecastResult(rung={self.rung!r}, metric={self.metric!r}, n_rows={self.n_rows}, "
            f"at_full={self.at_full.score.format()}, plateau={self.plateau.format()}; "
            "in words: .sentence; everything: .to_dict())"
        )

    def _holdout(self, name: str) -> dict[str, Any] | None:
        """A family's error forecasting the hidden largest anchors, with what it was measured on."""
        v = self.curve.holdout_error.get(name)
        if v is None:
            return None
        rows = list(self.curve.holdout_sizes)
        return {
            "value": v,
            "n": len(rows),
            "rows": rows,
            "method": f"root mean square error of the forecasts of the {len(rows)} largest "
            "anchors' mean scores, fitted to the smaller anchors",
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "rung": self.rung,
            "task": self.task,
            "metric": self.metric,
            "n_rows": self.n_rows,
            "level": self.curve.level,
            **self.anchors.to_dict(self.curve.level),
            "families": {
                k: {
                    "weight": self.curve.weights.get(k, 0.0),
                    "formula": f.family.formula,
                    "plateau": self.curve.family_plateau(k).to_dict(),
                    "holdout_rmse": self._holdout(k),
                }
                for k, f in self.curve.fits.items()
            },
            "weighting": "each family weighs 1 / (its holdout error^2 + a floor), normalised",
            "at_full": self.at_full.to_dict(),
            "at_scales": [s.to_dict() for s in self.at_scales],
            "plateau": self.plateau.to_dict(),
            "rows_needed": None if self.rows_needed is None else self.rows_needed.to_dict(),
            "time_curve": None if self.time_curve is None else self.time_curve.to_dict(),
            "memory_curve": None if self.memory_curve is None else self.memory_curve.to_dict(),
            "warnings": self.warnings,
            "sentence": self.sentence,
            "seed": self.seed,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class BacktestPoint:
    rows: int
    #: the score measured at ``rows`` (mean of the repeats, t interval)
    measured: Estimate
    forecast: Estimate
    last_anchor: float
    #: the fit time forecast for ``rows`` from the visible anchors, and the fit time measured
    fit_seconds: Estimate | None = None
    measured_seconds: Estimate | None = None

    @property
    def truth(self) -> float:
        return self.measured.value

    @property
    def error(self) -> float:
        return self.forecast.value - self.truth

    @property
    def covered(self) -> bool:
        return self.forecast.contains(self.truth)

    def _off(self, value: float, what: str) -> Estimate:
        """``value`` minus the measured score, with the measured mean's interval: how far off
        ``what`` is, given the truth's own noise."""
        m = self.measured
        return Estimate(
            value - m.value,
            value - m.high,
            value - m.low,
            m.level,
            m.n,
            f"{what} minus the measured mean score; the interval is the measured mean's "
            f"({m.method})",
        )

    def error_estimate(self) -> Estimate:
        """The forecast's error (forecast minus measured), with the measured mean's interval."""
        return self._off(self.forecast.value, "the forecast")

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "measured": self.measured.to_dict(),
            "forecast": self.forecast.to_dict(),
            "error": self.error_estimate().to_dict(),
            "covered": self.covered,
            "last_anchor_error": self._off(
                self.last_anchor, "the largest visible anchor's mean score"
            ).to_dict(),
            "fit_seconds": None if self.fit_seconds is None else self.fit_seconds.to_dict(),
            "measured_seconds": (
                None if self.measured_seconds is None else self.measured_seconds.to_dict()
            ),
        }


@dataclass
class BacktestResult:
    """Forecasts of the largest anchors made from the small ones, next to what was measured."""

    rung: str
    metric: str
    metric_label: str
    used_rows: int
    points: list[BacktestPoint]
    anchors: AnchorRun
    curve: LearningCurve
    sentence: str
    task: str = ""

    @property
    def final(self) -> BacktestPoint:
        return self.points[-1]

    def mean_absolute_error(self) -> Estimate:
        """The mean |forecast - measured| over the hidden anchors; its bounds carry each measured
        mean's interval (the truth's own noise) through the absolute value."""
        errs = [p.error_estimate() for p in self.points]
        lows = [0.0 if e.low <= 0 <= e.high else min(abs(e.low), abs(e.high)) for e in errs]
        highs = [max(abs(e.low), abs(e.high)) for e in errs]
        return Estimate(
            float(np.mean([abs(e.value) for e in errs])),
            float(np.mean(lows)),
            float(np.mean(highs)),
            errs[0].level,
            len(errs),
            f"mean absolute error over {len(errs)} hidden anchor(s); bounds from each measured "
            "mean's interval",
        )

    def coverage(self) -> Estimate:
        """How many hidden anchors the forecast's interval held, with Wilson's 95% interval."""
        k = sum(p.covered for p in self.points)
        return replace(
            wilson_interval(k, len(self.points), 0.95),
            method=f"{k}/{len(self.points)} hidden anchors inside the forecast's "
            f"{self.curve.level:.0%} interval; Wilson",
        )

    def __repr__(self) -> str:  # the dataclass's own would print every grid
        f = self.final
        return (
            f"BacktestResult(rung={self.rung!r}, metric={self.metric!r}, from {self.used_rows} "
            f"rows: at {f.rows} rows forecast {f.forecast.format()}, measured {f.truth:.4g}; "
            "in words: .sentence; everything: .to_dict())"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "rung": self.rung,
            "metric": self.metric,
            "forecast_from_rows": self.used_rows,
            "points": [p.to_dict() for p in self.points],
            "mean_absolute_error": self.mean_absolute_error().to_dict(),
            "coverage": self.coverage().to_dict(),
            "level": self.curve.level,
            **self.anchors.to_dict(self.curve.level),
            "sentence": self.sentence,
        }


# ---- measuring the anchors --------------------------------------------------------------------


def _best_value(m: Metric) -> float:
    """The best score a metric can take: 1 for proportions, AUCs and R², 0 for losses."""
    return 1.0 if m.greater_is_better else 0.0


def _worst_value(m: Metric) -> float | None:
    """The worst score a metric can take where it has one: 0 for proportions and AUCs."""
    return 0.0 if m.kind in ("proportion", "rank") else None


def check_target_score(target_score: float | None, m: Metric) -> None:
    """A clear error for a target score the metric cannot take (a CLI checks before loading data)."""
    if target_score is None:
        return
    if not math.isfinite(target_score):
        raise DataError(f"the target score must be a number, got {target_score}")
    worst, best = _worst_value(m), _best_value(m)
    if worst is not None and target_score < worst:
        raise DataError(
            f"target score {target_score} is below {m.label}'s worst possible value {worst}; "
            "give a score the model should reach"
        )
    if (m.greater_is_better and target_score > best) or (
        not m.greater_is_better and target_score < best
    ):
        raise DataError(
            f"target score {target_score} is beyond {m.label}'s best possible value {best}: "
            "no amount of data reaches it"
        )


def _nested_order(
    y: np.ndarray, rows: np.ndarray, task: str, rng: np.random.Generator
) -> np.ndarray:
    """``rows`` in an order whose every prefix keeps the classes' shares (nested anchors)."""
    rows = rng.permutation(rows)
    if task == "regression":
        return rows
    key = np.empty(len(rows))
    labels = y[rows]
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        key[idx] = (np.arange(len(idx)) + rng.uniform(size=len(idx))) / len(idx)
    return np.asarray(rows[np.argsort(key, kind="stable")])


def _one_split(
    rung: Any,
    ctx: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    sizes: list[int],
    metric: Metric,
    classes: int,
    seed: int,
) -> list[tuple[float, float, float, str, bool]]:
    from candor.ladder._climb import _predict
    from candor.ladder._measure import peak_memory
    from candor.ladder._rungs import quiet_fits

    order = _nested_order(y, train, ctx.task, np.random.default_rng(seed))
    out = []
    for n in sizes:
        rows = np.sort(order[:n])
        try:
            model = rung.build(ctx)
            with peak_memory() as peak, quiet_fits():
                t = time.perf_counter()
                model.fit(X.iloc[rows], y[rows])
                seconds = time.perf_counter() - t
            pred, proba = _predict(model, X.iloc[test], ctx.task, classes)
            if ctx.task == "regression":
                p = prepare_predictions(y[test], pred, task="regression")
            else:
                assert proba is not None
                score = proba[:, 1] if ctx.task == "binary" else proba
                p = prepare_predictions(
                    y[test], pred, score, task=ctx.task, classes=tuple(range(classes))
                )
            value = metric_value(metric, p)
            said = pred if proba is None else proba
            flat = bool(np.ptp(np.asarray(said, dtype=float), axis=0).max() <= 1e-12)
            out.append((value, seconds, float(peak.bytes), "", flat))
        except Exception as exc:  # a rung that fails on a small subset: recorded, the rest go on
            failed = f"{n} rows: {type(exc).__name__}: {exc}"
            out.append((math.nan, math.nan, math.nan, failed, False))
    return out


def measure_anchors(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    rung: str,
    task: str,
    metric: Metric,
    classes: int,
    sizes: list[int],
    folds: list[tuple[np.ndarray, np.ndarray]],
    repeats: int,
    seed: int,
    n_jobs: int = 1,
    on_progress: Progress | None = None,
) -> AnchorRun:
    """Fit ``rung`` on nested subsets of each fold's training rows; score on the fold's test rows."""
    from joblib import Parallel, delayed

    from candor.ladder._climb import _context
    from candor.ladder._rungs import RUNGS

    r = RUNGS[rung]
    ctx = _context(X, task, classes, seed)
    jobs = [
        delayed(_one_split)(r, ctx, X, y, tr, te, sizes, metric, classes, seed + 1000 * rep + i)
        for rep in range(repeats)
        for i, (tr, te) in enumerate(folds)
    ]
    say = on_progress or (lambda event, info: None)
    if n_jobs == 1:
        outs = []
        for k, (fn, args, kwargs) in enumerate(jobs):
            say("anchors", {"split": k + 1, "splits": len(jobs), "rung": rung})
            outs.append(fn(*args, **kwargs))
    else:
        say("anchors", {"split": 0, "splits": len(jobs), "rung": rung})
        outs = Parallel(n_jobs=n_jobs)(jobs)
    arr = np.array([[o[:3] for o in split] for split in outs], dtype=float)
    failures = sorted({o[3] for split in outs for o in split if o[3]})
    flat = np.array([[o[4] for o in split] for split in outs], dtype=bool)
    return AnchorRun(np.asarray(sizes), arr[:, :, 0], arr[:, :, 1], arr[:, :, 2], failures, flat)


# ---- the forecast -----------------------------------------------------------------------------


def _prepare(
    X: pd.DataFrame, y: Any, task: str | None, metric: str | None
) -> tuple[pd.DataFrame, np.ndarray, str, int, Metric]:
    from candor.ladder._climb import DEFAULT_METRIC, _validate

    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(np.asarray(X)).rename(columns=str)
    X = X.reset_index(drop=True)
    ys = pd.Series(np.asarray(y)).reset_index(drop=True)
    task = task or infer_task(ys)
    _validate(X, ys, task)
    if task == "regression":
        y_arr = ys.to_numpy(dtype=float)
        classes = 0
    else:
        uniq, y_arr = np.unique(ys.to_numpy(), return_inverse=True)
        classes = len(uniq)
    m = get_metric(metric or DEFAULT_METRIC[task], task)
    return X, y_arr, task, classes, m


def _check_rung(rung: str, task: str) -> None:

    from candor.ladder._rungs import RUNGS

    if rung not in RUNGS:
        raise DataError(f"unknown rung {rung!r}; known: {', '.join(RUNGS)}")
    r = RUNGS[rung]
    if task not in r.tasks:
        fits = [k for k, v in RUNGS.items() if task in v.tasks]
        raise DataError(
            f"rung {rung!r} does not apply to a {task} task; use one of {', '.join(fits)}"
        )
    why = r.missing()
    if why:
        raise DataError(f"rung {rung!r} {why}")


@dataclass(frozen=True)
class _Setup:
    """What a forecast and a backtest share: checked data, the metric, and the folds."""

    X: pd.DataFrame
    y: np.ndarray
    rung: str
    task: str
    classes: int
    metric: Metric
    folds: list[tuple[np.ndarray, np.ndarray]]
    seed: int

    @property
    def pool(self) -> int:
        """The fewest training rows of any fold: the largest anchor that fits every fold."""
        return min(len(tr) for tr, _ in self.folds)

    def measure(
        self, sizes: list[int], repeats: int | None, n_jobs: int, on_progress: Progress | None
    ) -> AnchorRun:
        return measure_anchors(
            self.X,
            self.y,
            rung=self.rung,
            task=self.task,
            metric=self.metric,
            classes=self.classes,
            sizes=sizes,
            folds=self.folds,
            repeats=repeats or _auto_repeats(len(self.X)),
            seed=self.seed,
            n_jobs=n_jobs,
            on_progress=on_progress,
        )


def _set_up(
    X: pd.DataFrame,
    y: Any,
    rung: str,
    task: str | None,
    metric: str | None,
    groups: Any,
    time_order: Any,
    seed: int,
) -> _Setup:
    from candor.ladder._climb import _context, _folds
    from candor.ladder._rungs import RUNGS

    X, y_arr, task, classes, m = _prepare(X, y, task, metric)
    _check_rung(rung, task)
    applies = RUNGS[rung].applies
    if applies is not None and not applies(_context(X, task, classes, seed)):
        raise DataError(
            f"rung {rung!r} does not apply to this data (the cnn rung needs image data: a square "
            "grid of pixel columns such as pixel_0_0 ...); choose another rung"
        )
    folds = _folds(
        y_arr,
        task,
        None if groups is None else np.asarray(groups),
        None if time_order is None else np.asarray(time_order),
        seed,
    )
    return _Setup(X, y_arr, rung, task, classes, m, folds, seed)


def anchor_sizes(
    n_train: int, fractions: Any, n_classes: int, pool: int
) -> tuple[list[int], list[str]]:
    """Rows per anchor for ``fractions`` of ``n_train`` rows, each fold's ``pool`` the most;
    anchors below the minimum are dropped (and said)."""
    fr = sorted({float(f) for f in fractions})
    if not fr or fr[0] <= 0 or fr[-1] > 1:
        raise DataError(f"anchor fractions must lie in (0, 1]; got {fractions}")
    floor = max(MIN_ANCHOR_ROWS, 2 * n_classes)
    sizes: list[int] = []
    small, capped = [], []
    for f in fr:
        n = round(f * n_train)
        if n > pool:  # a fold trains on fewer rows than the whole: its training rows are the most
            capped.append(f"{f:.0%}")
            n = pool
        if n < floor:
            small.append(f"{f:.1%} ({n:,} row{'s' * (n != 1)})")
        elif n not in sizes:
            sizes.append(n)
    notes = []
    if small:
        notes.append(
            f"anchors below the {floor}-row minimum were left out: {_and(small)} of the "
            f"{n_train:,} training rows"
        )
    if capped:
        notes.append(
            f"each fold trains on {pool:,} rows, so the anchors at {', '.join(capped)} of the "
            f"data were fitted on {pool:,} rows"
        )
    return sizes, notes


def _example_fractions(floor: int, pool: int, n: int) -> str:
    """Three fractions of ``n`` rows spaced geometrically from ``floor`` rows to ``pool``."""
    rows = np.geomspace(floor, pool, 3)
    return ",".join(f"{math.floor(r / n * 1000) / 1000:g}" for r in rows)


def _auto_repeats(n: int) -> int:
    # small data is cheap to refit and noisy to score: a second pass over the same folds, its
    # nested subsets drawn in another order, steadies the small anchors (at 100% it refits the
    # same rows; fresh partitions per repeat were tried and did worse: bench/README.md)
    return 2 if n <= 5_000 else 1


def _warm_up(anchors: AnchorRun) -> tuple[np.ndarray, list[str]]:
    """Leading anchors at which the model learned nothing yet, when a later anchor scored higher:
    every repeat's model predicted the same for every test row (a booster whose leaves need more
    rows than it had, scoring the majority class's share), or, where that was not recorded, every
    repeat scored the same (AUC 0.5). Before its first split a model is not on its learning
    curve, and a curve fitted through such a step forecasts wildly. One note says them all."""
    keep = np.ones(len(anchors.sizes), dtype=bool)
    S = anchors.scores
    seen, fits = [], []
    for k in range(len(anchors.sizes) - 1):
        fitted = np.isfinite(S[:, k])
        col = S[fitted, k]
        later = S[:, k + 1 :][np.isfinite(S[:, k + 1 :])]
        if len(col) < 2 or not (later > col.max()).any():
            break
        if anchors.constant is not None and anchors.constant[fitted, k].all():
            seen.append("constant")
        elif np.ptp(col) == 0:
            seen.append("same score")
        else:
            break
        keep[k] = False
        fits.append(len(col))
    if not seen:
        return keep, []
    dropped = anchors.sizes[~keep]
    means = [f"{float(np.nanmean(S[:, k])):.3g}" for k in np.flatnonzero(~keep)]
    rows = _and([f"{int(n):,}" for n in dropped]) + " rows"
    scored = means[0] if len(set(means)) == 1 else _and(means)
    if all(w == "constant" for w in seen):
        counts = " or ".join(str(n) for n in sorted(set(fits)))
        each = " at each size" if len(dropped) > 1 else ""
        what = (
            f"at {rows} all {counts} fits{each} predicted one value for every test row, "
            f"scoring {scored}"
        )
    else:
        what = f"at {rows} every repeat scored the same ({scored})"
    it = "that anchor is" if len(dropped) == 1 else "those anchors are"
    return keep, [
        f"{what}: the model had not started learning (a booster, say, whose leaves need more "
        f"rows than it had), so {it} left out of the curve"
    ]


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _fit_curves(
    anchors: AnchorRun, m: Metric, level: float, seed: int
) -> tuple[LearningCurve, CostCurve | None, CostCurve | None]:
    keep, notes = _warm_up(anchors)
    ok = np.isfinite(anchors.scores).any(axis=0) & keep
    if ok.sum() < 3:
        detail = f": {anchors.failures[0]}" if anchors.failures else ""
        if notes:  # warm-up anchors: fitted, but the model had not started learning
            detail += f"; {int((~keep).sum())} more left out: {notes[0]}"
        raise DataError(
            f"only {int(ok.sum())} anchor size(s) are on the learning curve; a learning curve "
            f"needs 3{detail}. Use more data, larger anchors (--fractions) or another rung"
        )
    sizes = anchors.sizes[ok]
    curve = fit_learning_curve(
        sizes,
        anchors.scores[:, ok],
        greater_is_better=m.greater_is_better,
        best=_best_value(m),
        worst=_worst_value(m),
        level=level,
        seed=seed,
    )
    time_curve = fit_cost_curve(
        sizes,
        anchors.fit_seconds[:, ok],
        what="fit time",
        unit="s",
        level=level,
        exponent_sd=TIME_EXPONENT_SD,
    )
    # the kernel counts memory in pages and reuses what earlier fits freed: below a megabyte the
    # added high-water mark is mostly noise, so only larger measurements shape the curve
    raw = anchors.peak_bytes[:, ok]
    peaks = np.where(raw >= MIN_MEASURED_BYTES, raw, np.nan)
    mem_curve = fit_cost_curve(sizes, peaks, what="peak memory", unit="bytes", level=level)
    if mem_curve is None:
        notes.append(
            "peak memory while fitting stayed below 1 MB at most anchors: too small to measure "
            "reliably, so no memory forecast"
        )
    flat = _flat_time_note(sizes, anchors.fit_seconds[:, ok])
    if flat:
        notes.append(flat)
    noisy = _noisy_time_note(anchors.fit_seconds[:, ok])
    if noisy:
        notes.append(noisy)
    curve.warnings[:0] = notes
    return curve, time_curve, mem_curve


#: fit times that grow less than this over anchors this many times apart are mostly overhead
FLAT_GROWTH, FLAT_SPAN = 1.5, 4.0


#: held-out rows a fold below which each anchor's score is too coarse to trust on its own
FEW_TEST_ROWS = 30


def _few_test_rows_note(setup: _Setup) -> str:
    """A note when each fold scores its fits on very few held-out rows: the scores move in coarse
    steps and agree by luck, and the interval, built from their spread, is too narrow then."""
    rows = int(np.median([len(te) for _, te in setup.folds]))
    if rows >= FEW_TEST_ROWS:
        return ""
    return (
        f"each fit is scored on about {rows} held-out rows: scores from so few rows are coarse "
        "and repeats can agree by luck, so the interval may be much too narrow; use more data "
        f"(at least {FEW_TEST_ROWS} held-out rows a fold)"
    )


#: repeats at one size whose fit times differ by more than this factor (at most sizes) are noisy
NOISY_SPREAD = 3.0


def _noisy_time_note(seconds: np.ndarray) -> str:
    """A note when repeated fits at the same size took very different times (at most sizes): the
    machine was busy, or a cold start, so the fit-time forecast is less certain than usual."""
    spreads = []
    for col in seconds.T:
        t = col[np.isfinite(col) & (col > 0)]
        if len(t) >= 2:
            spreads.append(float(t.max() / t.min()))
    if len(spreads) < 3 or float(np.median(spreads)) <= NOISY_SPREAD:
        return ""
    return (
        f"fit time varied between repeats: fits at the same size took up to {max(spreads):.0f}x "
        f"as long as one another ({np.median(spreads):.1f}x at the median size): most likely "
        "something else was using the CPU, so the fit-time forecasts are less certain than usual "
        "and their intervals wide; a quiet machine gives tighter ones"
    )


def _flat_time_note(sizes: np.ndarray, seconds: np.ndarray) -> str:
    """A note when fit time barely grew over the anchors: it is then mostly fixed overhead (process
    and library set-up, the timer's own noise), and how it grows with more rows is not seen."""
    a, b = seconds[:, 0][np.isfinite(seconds[:, 0])], seconds[:, -1][np.isfinite(seconds[:, -1])]
    if not (len(a) and len(b)):
        return ""
    first, last = float(np.median(a)), float(np.median(b))
    if first <= 0:
        return ""
    if sizes[-1] / sizes[0] < FLAT_SPAN or last / first >= FLAT_GROWTH:
        return ""
    return (
        f"fit time barely grew over the anchors ({format_seconds(first)} at {int(sizes[0]):,} "
        f"rows, {format_seconds(last)} at {int(sizes[-1]):,}): it is mostly fixed overhead, so "
        "how it grows with more data is not seen here; its forecasts lean on the usual "
        "near-linear growth, and their intervals are wide for that reason"
    )


#: scikit-learn's HistGradientBoosting with ``early_stopping="auto"`` stops early above this many
#: training rows (its documented rule)
HIST_GB_AUTO_ROWS = 10_000


def _regime_note(setup: _Setup, largest: int, farthest: int) -> str:
    """A note when the rung fits differently beyond its anchors: HistGradientBoosting's
    ``early_stopping="auto"`` starts at a number of rows the anchors do not reach, and a curve of
    the anchors cannot show that change."""
    from candor.ladder._climb import _context
    from candor.ladder._rungs import RUNGS

    rung = RUNGS[setup.rung]
    model = rung.build(_context(setup.X, setup.task, setup.classes, setup.seed))
    params = getattr(model, "get_params", None)  # a custom model may have no scikit-learn API
    auto = any(
        key.split("__")[-1] == "early_stopping" and value == "auto"
        for key, value in ({} if params is None else params(deep=True)).items()
    )
    if not auto or not largest <= HIST_GB_AUTO_ROWS < farthest:
        return ""
    return (
        f"from {HIST_GB_AUTO_ROWS + 1:,} training rows the {rung.label_for(setup.task)} stops "
        f"early, holding out a tenth of its rows to judge when to stop; the anchors (up to "
        f"{largest:,} rows) did not, so beyond that its fit time is likely below the forecast, "
        "and its score may differ"
    )


def forecast(
    X: pd.DataFrame,
    y: Any,
    *,
    rung: str,
    task: str | None = None,
    metric: str | None = None,
    groups: Any = None,
    time_order: Any = None,
    fractions: Any = DEFAULT_FRACTIONS,
    scales: Any = DEFAULT_SCALES,
    target_score: float | None = None,
    repeats: int | None = None,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
    n_jobs: int = 1,
    on_progress: Progress | None = None,
) -> ForecastResult:
    """How good will ``rung`` get, how long will it train, and how much memory will it take?

    Fits the rung on nested subsets (``fractions`` of the rows) of each cross-validation fold,
    scores each fit on the fold's held-out rows, and fits learning curves and cost curves to what
    it measured. Forecasts come for all of the rows at hand, for ``scales`` times more, the plateau,
    and (with ``target_score``) the rows needed to reach a score.

    >>> from sklearn.datasets import load_breast_cancer
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> result = forecast(X, y, rung="linear", scales=[10])
    >>> 0.9 < result.at_full.score.value <= 1.0
    True
    """
    began = time.perf_counter()
    setup = _set_up(X, y, rung, task, metric, groups, time_order, seed)
    m, classes, n = setup.metric, setup.classes, len(setup.X)
    check_target_score(target_score, m)
    scales = sorted({float(s) for s in scales})
    if any(not (0 < s <= MAX_SCALE) for s in scales):
        raise DataError(
            f"scales must be multiples of the data between 0 and {MAX_SCALE:g} (beyond that a "
            f"curve fitted to a few hundred fits says nothing); got {scales}"
        )
    sizes, notes = anchor_sizes(n, fractions, classes, setup.pool)
    if len(sizes) < 3:
        floor = max(MIN_ANCHOR_ROWS, 2 * classes)
        hint = (
            "Use more data: a learning curve needs anchors of at least "
            f"{floor} rows, and each cross-validation fold trains on {setup.pool:,} of these "
            f"{n:,} rows; about {math.ceil(2 * floor * n / max(setup.pool, 1)):,} training rows "
            f"give anchors from {floor} to {2 * floor} rows (e.g. --fractions 0.5,0.75,1)"
            if setup.pool < 2 * floor
            else f"Choose 3 or more fractions whose rows lie between {floor} and {setup.pool:,} "
            f"(e.g. {_example_fractions(floor, setup.pool, n)})"
        )
        said = "".join(f" Note: {note}." for note in notes)
        raise DataError(
            f"{n:,} rows give {len(sizes)} distinct anchor(s) of at least {floor} rows for the "
            f"fractions asked; a learning curve needs 3. {hint}.{said}"
        )
    anchors = setup.measure(sizes, repeats, n_jobs, on_progress)
    curve, time_curve, mem_curve = _fit_curves(anchors, m, level, seed)
    few = _few_test_rows_note(setup)
    if few:
        notes.append(few)

    def at(factor: float) -> ScaleForecast:
        rows = round(factor * n)
        return ScaleForecast(
            factor,
            rows,
            curve.estimate(rows),
            None if time_curve is None else time_curve.estimate(rows),
            None if mem_curve is None else mem_curve.estimate(rows),
            curve.caveats(rows)[len(curve.warnings) :],
        )

    at_full = at(1.0)
    at_scales = [at(s) for s in scales]
    plateau = curve.plateau()
    needed = None if target_score is None else curve.rows_needed(target_score)
    warnings = notes + [f"fits that failed: {f}" for f in anchors.failures[:3]] + curve.warnings
    regime = _regime_note(setup, int(sizes[-1]), max(s.rows for s in [at_full, *at_scales]))
    if regime:
        warnings.append(regime)
    last = float(curve.anchors.mean[-1])
    result = ForecastResult(
        rung,
        setup.task,
        m.name,
        m.label,
        n,
        anchors,
        curve,
        time_curve,
        mem_curve,
        at_full,
        at_scales,
        plateau,
        needed,
        last,
        warnings,
        "",
        seed,
        0.0,
    )
    result.sentence = forecast_sentence(result)
    result.seconds = time.perf_counter() - began
    return result


def repeat_mean(values: np.ndarray, level: float) -> Estimate | None:
    """The mean of one anchor's repeats with its t interval; None when no repeat has a score."""
    from scipy import stats as sps

    a = np.asarray(values, dtype=float)
    a = a[np.isfinite(a)]
    if len(a) == 0:
        return None
    mean = float(a.mean())
    half = 0.0
    if len(a) > 1:
        half = float(sps.t.ppf(0.5 + level / 2, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))
    return Estimate(mean, mean - half, mean + half, level, len(a), f"t over {len(a)} repeats")


def _largest_anchor(r: ForecastResult) -> Estimate:
    est = repeat_mean(r.curve.anchors.scores[:, -1], r.curve.level)
    assert est is not None  # the curve keeps only anchors with a score
    return est


# ---- words ------------------------------------------------------------------------------------


def format_seconds(s: float) -> str:
    """Seconds as a person would say them: 0.4 s, 12 s, 3.1 min, 2.0 h, 1.5 days."""
    if not math.isfinite(s):
        return "unbounded"
    for unit, size in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if s >= size:
            return f"{s / size:.2g} {unit}" if s / size < 10 else f"{s / size:.0f} {unit}"
    return f"{s:.2g} s" if s < 10 else f"{s:.0f} s"


def _range(e: Estimate, fmt: Callable[[float], str]) -> str:
    return f"{fmt(e.value)} ({fmt(e.low)} to {fmt(e.high)})"


def _scale_clause(s: ScaleForecast, label: str) -> str:
    parts = [f"{label} {s.score.format()}"]
    if s.fit_seconds is not None:
        parts.append(f"a fit time of {_range(s.fit_seconds, format_seconds)}")
    if s.peak_bytes is not None:
        parts.append(f"{_range(s.peak_bytes, format_bytes)} peak memory")
    return _and(parts)


def forecast_sentence(r: ForecastResult) -> str:
    """The forecast in words, every figure with its interval."""
    pct = f"{r.curve.level:.0%}"
    out = [
        f"Trained on all {r.n_rows:,} rows, expect {_scale_clause(r.at_full, r.metric_label)} "
        f"({pct} intervals; the largest anchor, {int(r.curve.anchors.sizes[-1]):,} rows, scored "
        f"{_largest_anchor(r).format()})."
    ]
    if r.at_scales:
        s = r.at_scales[-1]
        out.append(
            f"With {s.factor:g}x the data ({s.rows:,} rows) expect "
            f"{_scale_clause(s, r.metric_label)}; the curve flattens near {r.plateau.format()}."
        )
    if r.rows_needed is not None:
        rn = r.rows_needed
        if rn.reachable and rn.estimate is not None:
            hi = (
                "an unbounded number"
                if math.isinf(rn.estimate.high)
                else f"{rn.estimate.high:,.0f}"
            )
            smallest = int(r.anchors.sizes[0])
            lo = (
                f"fewer than {smallest:,}"
                if rn.estimate.low < smallest
                else f"{rn.estimate.low:,.0f}"
            )
            out.append(
                f"Reaching {r.metric_label} {rn.target} takes about {rn.estimate.value:,.0f} "
                f"training rows ({lo} to {hi})."
            )
        else:
            out.append(f"{r.metric_label} {rn.target} is {rn.reason}.")
    return " ".join(out)


def backtest(
    X: pd.DataFrame,
    y: Any,
    *,
    rung: str,
    task: str | None = None,
    metric: str | None = None,
    groups: Any = None,
    time_order: Any = None,
    share: float = BACKTEST_SHARE,
    repeats: int | None = None,
    level: float = DEFAULT_LEVEL,
    seed: int = 0,
    n_jobs: int = 1,
    on_progress: Progress | None = None,
) -> BacktestResult:
    """Measure anchors up to each fold's full training rows, hide those above ``share`` of it,
    forecast them from the rest, and compare with what was measured.

    The forecast at the largest size (all of a fold's training rows) is the headline: its error,
    whether the interval held it, and the error of simply quoting the last visible anchor.
    """
    setup = _set_up(X, y, rung, task, metric, groups, time_order, seed)
    m, classes, pool, n = setup.metric, setup.classes, setup.pool, len(setup.X)
    fractions = [pool / n * 2.0 ** (-k / 2) for k in range(0, 11)]
    sizes, _ = anchor_sizes(n, fractions, classes, pool)
    # sizes are rounded: an anchor a hair above the share (114 of 455 rows) still counts as in it
    visible = [s for s in sizes if s <= share * pool * 1.01]
    if len(visible) < 3:
        raise DataError(
            f"{n:,} rows are too few to backtest: each cross-validation fold trains on {pool:,} "
            f"of them, and anchors at no more than {share:.0%} of that give {len(visible)} of at "
            f"least {max(MIN_ANCHOR_ROWS, 2 * classes)} rows; a learning curve needs 3"
        )
    anchors = setup.measure(sizes, repeats, n_jobs, on_progress)
    k = len(visible)
    curve, time_curve, _ = _fit_curves(anchors.first(k), m, level, seed)
    last = float(np.nanmean(anchors.scores[:, k - 1]))
    points = []
    for j in range(k, len(sizes)):
        measured = repeat_mean(anchors.scores[:, j], level)
        if measured is not None:
            points.append(
                BacktestPoint(
                    int(sizes[j]),
                    measured,
                    curve.estimate(sizes[j]),
                    last,
                    None if time_curve is None else time_curve.estimate(sizes[j]),
                    repeat_mean(anchors.fit_seconds[:, j], level),
                )
            )
    if not points:
        raise DataError("no hidden anchor could be fitted and scored: nothing to backtest")
    f = points[-1]
    last_est = repeat_mean(anchors.scores[:, k - 1], level)
    assert last_est is not None  # the curve was fitted, so the last visible anchor has scores
    baseline = abs(last - f.truth)
    # two errors against one noisy truth: a difference smaller than the truth's own noise says
    # neither was closer
    noise = f.measured.half_width
    verdict = (
        "about as close as"
        if abs(abs(f.error) - baseline) <= noise
        else "better than"
        if abs(f.error) < baseline
        else "worse than"
    )
    sentence = (
        f"From anchors up to {visible[-1]:,} rows, the forecast for {f.rows:,} rows was "
        f"{f.forecast.format()} and {m.label} {f.measured.format()} was measured: an error of "
        f"{f.error:+.3f}, {'inside' if f.covered else 'outside'} the {level:.0%} interval, and "
        f"{verdict} quoting the last anchor's {last_est.format()} (an error of "
        f"{last - f.truth:+.3f})"
        + (
            f": the two differ by less than the measured score's own noise (+-{noise:.3f})."
            if verdict.startswith("about")
            else "."
        )
    )
    if f.fit_seconds is not None and f.measured_seconds is not None:
        t, mt = f.fit_seconds, f.measured_seconds
        sentence += (
            f" Its fit time was forecast at {format_seconds(t.value)} ({format_seconds(t.low)} to "
            f"{format_seconds(t.high)}) and measured at {format_seconds(mt.value)} "
            f"({format_seconds(mt.low)} to {format_seconds(mt.high)}), "
            f"{'inside' if t.contains(mt.value) else 'outside'} the interval."
        )
    return BacktestResult(
        rung, m.name, m.label, visible[-1], points, anchors, curve, sentence, setup.task
    )
