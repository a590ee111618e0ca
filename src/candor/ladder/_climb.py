"""Climbing the ladder: cross-validate every rung, measure its costs, recommend the simplest good one."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from candor._task import infer_task
from candor.errors import DataError
from candor.ladder._cnn import image_shape
from candor.ladder._measure import (
    Latency,
    mean_interval,
    peak_memory,
    predict_latency,
    serialized_size,
)
from candor.ladder._rungs import RUNGS, Context, Rung, quiet_fits
from candor.stats import Estimate, compare, evaluate, get_metric

#: from this many rows on, a first pass on a subsample decides which rungs are worth the full data
HALVING_MIN_ROWS = 4_000
#: ... and that first pass uses this share of the rows (at least HALVING_FIRST_ROWS)
HALVING_SHARE = 0.25
HALVING_FIRST_ROWS = 1_000
FOLDS = 5
#: seconds of single-row (and of batched) calls to time each rung's first-fold model; finalists,
#: refitted on all rows, get ``predict_latency``'s default
QUICK_LATENCY_S = 0.03
#: ... and at least this many single-row calls (too few to bound a p99 above: it says so)
QUICK_LATENCY_CALLS = 15
#: of a time budget, this share (at most FINALISE_S seconds) is kept for refitting the finalists
FINALISE_SHARE, FINALISE_S = 0.25, 0.6
#: bootstrap resamples for the rungs' intervals (the held-out evaluation uses the project's count)
N_RESAMPLES = 2_000
DEFAULT_METRIC = {"binary": "roc_auc", "multiclass": "roc_auc", "regression": "r2"}

Progress = Callable[[str, dict[str, Any]], None]


class OutOfTime(Exception):
    """A rung stopped between folds because it would run past the budget."""

    def __init__(self, projected_s: float) -> None:
        super().__init__(f"projected {projected_s:.1f} s")
        self.projected_s = projected_s


@dataclass
class RungResult:
    """One rung's outcome: its scores with intervals and what it costs."""

    name: str
    label: str
    status: str  # done | stopped early | not run | failed
    reason: str = ""
    scores: dict[str, Estimate] = field(default_factory=dict)
    first_pass: Estimate | None = None  # primary metric on the subsample, when halving ran
    fit_seconds: Estimate | None = None
    fit_peak_mb: Estimate | None = None
    memory_method: str = ""
    latency: Latency | None = None
    size_mb: float | None = None
    size_format: str = ""
    rows_fitted: int = 0
    model: Any = None
    model_rows: str = ""  # which rows the kept model was fitted on
    predictions: Any = None  # out-of-fold (pred, score) on the evaluated rows

    def to_dict(self) -> dict[str, Any]:
        lat = self.latency
        return {
            "name": self.name,
            "label": self.label,
            "status": self.status,
            "reason": self.reason,
            "scores": {k: v.to_dict() for k, v in self.scores.items()},
            "first_pass": self.first_pass.to_dict() if self.first_pass else None,
            "fit_seconds": self.fit_seconds.to_dict() if self.fit_seconds else None,
            "fit_peak_mb": self.fit_peak_mb.to_dict() if self.fit_peak_mb else None,
            "memory_method": self.memory_method,
            "latency_ms": None
            if lat is None
            else {
                "single_p50": lat.single_p50_ms.to_dict(),
                "single_p99": lat.single_p99_ms.to_dict(),
                "batch_per_row": lat.batch_per_row_ms.to_dict(),
                "batch_size": lat.batch_size,
            },
            "size_mb": self.size_mb,
            "size_format": self.size_format,
            "rows_fitted": self.rows_fitted,
            "model_rows": self.model_rows,
        }


@dataclass
class LadderResult:
    """The whole climb: every rung, the recommendation and its evidence."""

    task: str
    metric: str
    metric_label: str
    n_rows: int
    n_evaluated: int
    rungs: list[RungResult]
    recommended: str | None
    sentence: str
    comparisons: dict[str, dict[str, Any]]
    elapsed_s: float
    budget_s: float | None = None
    classes: list[Any] = field(default_factory=list)

    def rung(self, name: str) -> RungResult:
        return next(r for r in self.rungs if r.name == name)

    @property
    def leader(self) -> str | None:
        done = [r for r in self.rungs if r.status == "done" and self.metric in r.scores]
        if not done:
            return None
        better = get_metric(self.metric, self.task).greater_is_better
        best = max if better else min
        return best(done, key=lambda r: r.scores[self.metric].value).name

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "metric": self.metric,
            "n_rows": self.n_rows,
            "n_evaluated": self.n_evaluated,
            "recommended": self.recommended,
            "leader": self.leader,
            "sentence": self.sentence,
            "comparisons": self.comparisons,
            "elapsed_s": round(self.elapsed_s, 2),
            "budget_s": self.budget_s,
            "classes": [str(c) for c in self.classes],
            "rungs": [r.to_dict() for r in self.rungs],
        }


# ---- folds ----------------------------------------------------------------------------------


def _folds(
    y: np.ndarray, task: str, groups: np.ndarray | None, times: np.ndarray | None, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation folds that respect the data's structure.

    With ``times``: each fold trains on earlier times only and tests on later ones (rows sharing a
    time stay on one side); with ``groups`` too, training rows of groups that appear in the test
    fold are left out. With ``groups`` alone: no group on both sides. Otherwise stratified by class
    (classification) or shuffled (regression).
    """
    import warnings

    from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, TimeSeriesSplit

    index = np.arange(len(y))
    if groups is not None:
        n_groups = len(np.unique(groups))
        if n_groups < FOLDS:
            raise DataError(
                f"only {n_groups} distinct group(s): group-aware cross-validation needs at least "
                f"{FOLDS} groups; check the group column, or leave it out if rows are independent"
            )
    if times is not None:
        uniq, inv = np.unique(times, return_inverse=True)
        splits = min(FOLDS, len(uniq) - 1)
        if splits < 2:
            raise DataError(
                f"the time column has {len(uniq)} distinct value(s): folds that train on the past "
                "and test on the future need at least 3"
            )
        out = []
        for a, b in TimeSeriesSplit(n_splits=splits).split(np.arange(len(uniq))):
            train, test = np.flatnonzero(np.isin(inv, a)), np.flatnonzero(np.isin(inv, b))
            if groups is not None:  # an entity seen in the test fold is not trained on
                train = train[~np.isin(groups[train], groups[test])]
            if len(train):
                out.append((train, test))
        return out
    if groups is not None:
        return list(GroupKFold(n_splits=FOLDS).split(index, y, groups))
    if task != "regression":
        with warnings.catch_warnings():  # a class rarer than the folds: some folds lack it
            warnings.simplefilter("ignore", UserWarning)
            return list(StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(index, y))
    return list(KFold(FOLDS, shuffle=True, random_state=seed).split(index))


def _predict(
    model: Any, X: pd.DataFrame, task: str, n_classes: int = 0
) -> tuple[np.ndarray, np.ndarray | None]:
    if task == "regression":
        return np.asarray(model.predict(X), dtype=float), None
    seen = np.asarray(model.predict_proba(X), dtype=float)
    # a class missing from a training fold has no column: it gets probability 0 there
    proba = np.zeros((len(X), max(n_classes, seen.shape[1])))
    classes = getattr(model, "classes_", None)  # a wrapper without classes_: columns in order
    columns = np.arange(seen.shape[1]) if classes is None else np.asarray(classes, np.int64)
    proba[:, columns] = seen
    return np.argmax(proba, axis=1), proba


def _fit_fold(
    rung: Rung,
    ctx: Context,
    X: pd.DataFrame,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    keep: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float, int, str, int, Any]:
    """Fit one fold (in this process or a worker): predictions, fit seconds, peak bytes."""
    train = _cap_rows(rung, y, train, ctx.seed)
    model = rung.build(ctx)
    with peak_memory() as peak, quiet_fits():
        t = time.perf_counter()
        model.fit(X.iloc[train], y[train])
        seconds = time.perf_counter() - t
    pred, score = _predict(model, X.iloc[test], ctx.task, ctx.n_classes)
    return test, pred, score, seconds, peak.bytes, peak.method, len(train), model if keep else None


def _cap_rows(rung: Rung, y: np.ndarray, rows: np.ndarray, seed: int) -> np.ndarray:
    if rung.max_rows is None or len(rows) <= rung.max_rows:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, rung.max_rows, replace=False))


# ---- one rung ---------------------------------------------------------------------------------


def _cross_validate(
    rung: Rung,
    ctx: Context,
    X: pd.DataFrame,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    n_jobs: int,
    deadline: float | None = None,
    on_fold: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, list[float], list[int], str, int, Any]:
    """Out-of-fold predictions and costs over ``folds``.

    Fitted one fold after another (``n_jobs=1``), a rung whose folds so far project past
    ``deadline`` (a ``time.perf_counter()`` value) is stopped: ``OutOfTime`` is raised.
    """
    from joblib import Parallel, delayed

    jobs = [delayed(_fit_fold)(rung, ctx, X, y, tr, te, i == 0) for i, (tr, te) in enumerate(folds)]
    if n_jobs != 1:
        outs = Parallel(n_jobs=n_jobs)(jobs)
    else:
        outs, began = [], time.perf_counter()
        for fn, args, kwargs in jobs:
            if on_fold is not None:
                on_fold(len(outs) + 1, len(jobs))
            outs.append(fn(*args, **kwargs))
            per_fold = (time.perf_counter() - began) / len(outs)
            left = len(jobs) - len(outs)
            if deadline is not None and left and time.perf_counter() + per_fold * left > deadline:
                raise OutOfTime(per_fold * len(jobs))
    evaluated = np.sort(np.concatenate([o[0] for o in outs]))
    pred = np.empty(len(y), dtype=float if ctx.task == "regression" else np.int64)
    score = None if ctx.task == "regression" else np.empty((len(y), ctx.n_classes))
    for test, p, s, *_ in outs:
        pred[test] = p
        if score is not None and s is not None:
            score[test] = s
    pred = pred[evaluated]
    score = None if score is None else score[evaluated]
    return (
        evaluated,
        pred,
        score,
        [o[3] for o in outs],
        [o[4] for o in outs],
        outs[0][5],
        max(o[6] for o in outs),
        outs[0][7],
    )


def _scores(
    y: np.ndarray,
    pred: np.ndarray,
    score: np.ndarray | None,
    task: str,
    metrics: list[str],
    seed: int,
    groups: np.ndarray | None = None,
    n_resamples: int = N_RESAMPLES,
) -> dict[str, Estimate]:
    """Estimates from out-of-fold predictions (a cluster bootstrap when rows come in groups)."""
    s = None if score is None else (score[:, 1] if task == "binary" else score)
    ev = evaluate(
        y, pred, s, metrics=metrics, task=task, groups=groups, n_resamples=n_resamples, seed=seed
    )
    return dict(ev.metrics)


# ---- the climb ----------------------------------------------------------------------------------


def _context(X: pd.DataFrame, task: str, n_classes: int, seed: int) -> Context:
    # a column with no values carries nothing, and some models fail on it (HistGradientBoosting's
    # binning): the preprocessing leaves it out (the audit's hygiene check says so too)
    usable = [c for c in X.columns if X[c].notna().any()]
    numeric = [
        c for c in usable if pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
    ]
    categorical = [c for c in usable if c not in set(numeric)]
    shape = image_shape(list(X.columns), not categorical)
    return Context(task, numeric, categorical, len(X), n_classes, seed, shape)


def _validate(X: pd.DataFrame, y: pd.Series, task: str) -> None:
    if len(X) == 0:
        raise DataError("no rows to fit: the ladder needs data")
    if len(X) != len(y):
        raise DataError(f"X has {len(X):,} rows but y has {len(y):,}; give one label per row")
    if y.isna().any():
        raise DataError("the target has missing values; drop or label those rows first")
    if task != "regression" and y.nunique() < 2:
        raise DataError(
            f"the target has a single class ({y.iloc[0]!r}): there is nothing to learn; "
            "check the target column or the rows selected"
        )
    if X.shape[1] == 0:
        raise DataError("no feature columns: the ladder needs at least one")
    unusable = [
        c
        for c in X.columns
        if not (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
        and X[c].nunique() > 0.5 * len(X)
        and X[c].astype(str).str.len().mean() > 30
    ]
    if unusable and len(unusable) == X.shape[1]:
        raise DataError(
            f"every column is free text ({', '.join(map(str, unusable))}): no rung can use it "
            "as is; turn the text into features (counts, embeddings) first"
        )


def ladder(
    X: pd.DataFrame,
    y: Any,
    *,
    task: str | None = None,
    metric: str | None = None,
    secondary: list[str] | None = None,
    rungs: list[str] | None = None,
    groups: Any = None,
    time_order: Any = None,
    budget_s: float | None = None,
    latency_budget_ms: float | None = None,
    size_budget_mb: float | None = None,
    n_jobs: int = 1,
    tune: int = 0,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    on_progress: Progress | None = None,
) -> LadderResult:
    """Climb from the simplest model up, with honest statistics at every rung.

    Every rung is cross-validated on the same folds (respecting ``groups`` and ``time_order``); its
    scores are ``Estimate``s from the out-of-fold predictions; its fit time, peak memory, predict
    latency and size are measured. The recommendation is the cheapest rung whose paired comparison
    with the best finds no detectable difference and that fits the budgets. With ``tune`` > 0 the
    ``TUNE_TOP`` best rungs that have a search space get that many Optuna trials on the same folds,
    and each tuned version is reported as a rung of its own. ``n_resamples`` sets the bootstrap
    for the intervals and paired comparisons.

    >>> from sklearn.datasets import load_breast_cancer
    >>> X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    >>> result = ladder(X, y, rungs=["dummy", "linear"])
    >>> result.recommended
    'linear'
    """
    started = time.perf_counter()
    say = on_progress or (lambda event, info: None)
    # the climb stops early enough to leave time for refitting and timing the finalists
    climb_s = None if budget_s is None else budget_s - min(FINALISE_SHARE * budget_s, FINALISE_S)
    X = X.reset_index(drop=True)
    y_series = pd.Series(np.asarray(y)).reset_index(drop=True)
    task = task or infer_task(y_series)
    _validate(X, y_series, task)
    classes: list[Any] = []
    if task == "regression":
        y_arr = y_series.to_numpy(dtype=float)
    else:
        uniq, y_arr = np.unique(y_series.to_numpy(), return_inverse=True)
        classes = list(uniq)
    metric = metric or DEFAULT_METRIC[task]
    m = get_metric(metric, task)
    metrics = [metric] + [s for s in (secondary or []) if s != metric]
    if rungs is not None and not rungs:
        raise DataError("no rungs chosen: name at least one, or leave the choice to the ladder")
    names = rungs or [n for n, r in RUNGS.items() if task in r.tasks]
    unknown = [n for n in names if n not in RUNGS]
    if unknown:
        raise DataError(f"unknown rung(s) {unknown}; known: {', '.join(RUNGS)}")
    wrong = [n for n in names if task not in RUNGS[n].tasks]
    if wrong:
        raise DataError(f"rung(s) {wrong} do not apply to a {task} task; leave them out")
    ctx = _context(X, task, len(classes), seed)
    misfit = [n for n in names if RUNGS[n].applies is not None and not RUNGS[n].applies(ctx)]  # type: ignore[misc]
    if rungs is not None and misfit:
        raise DataError(
            f"rung(s) {misfit} do not apply to this data (the cnn rung needs image data: a square "
            "grid of pixel columns such as pixel_0_0 ...); leave them out"
        )
    names = [n for n in names if n not in misfit]
    chosen = [RUNGS[n] for n in names if task in RUNGS[n].tasks]
    g = None if groups is None else np.asarray(groups)
    times = None if time_order is None else np.asarray(time_order)
    results = {r.name: RungResult(r.name, r.label_for(task), "pending") for r in chosen}
    for r in chosen:  # an optional rung whose extra is not installed
        why = r.missing()
        if why:
            results[r.name].status = "not run"
            results[r.name].reason = why

    # first pass on a subsample: which rungs cannot catch the leader?
    first_seconds: dict[str, float] = {}
    n = len(X)
    if n >= HALVING_MIN_ROWS and len(chosen) > 2:
        n0 = max(HALVING_FIRST_ROWS, int(n * HALVING_SHARE))
        sub = np.sort(np.random.default_rng(seed).choice(n, n0, replace=False))
        Xs, ys = X.iloc[sub].reset_index(drop=True), y_arr[sub]
        gs = None if g is None else g[sub]
        ts_ = None if times is None else times[sub]
        folds0 = _folds(ys.astype(np.int64) if task != "regression" else ys, task, gs, ts_, seed)
        ctx0 = Context(task, ctx.numeric, ctx.categorical, n0, ctx.n_classes, seed)
        for r in chosen:
            if climb_s is not None and time.perf_counter() - started > climb_s:
                break
            say(
                "first pass", {"rung": r.name, "rows": n0, "elapsed": time.perf_counter() - started}
            )
            try:
                t = time.perf_counter()
                ev, p, s, *_ = _cross_validate(r, ctx0, Xs, ys, folds0, n_jobs)
                first_seconds[r.name] = time.perf_counter() - t
                results[r.name].first_pass = _scores(
                    ys[ev], p, s, task, [metric], seed, None if gs is None else gs[ev]
                )[metric]
            except Exception as exc:  # a rung that crashes is reported, and the climb goes on
                _failed(results[r.name], exc)
        passed = {k: v.first_pass for k, v in results.items() if v.first_pass is not None}
        if passed:
            pick = max if m.greater_is_better else min
            lead = pick(passed, key=lambda k: passed[k].value)
            lead_est = passed[lead]
            assert lead_est is not None
            for k, est in passed.items():
                assert est is not None
                hopeless = (
                    est.high < lead_est.low if m.greater_is_better else est.low > lead_est.high
                )
                if hopeless:
                    results[k].status = "stopped early"
                    results[k].reason = (
                        f"on a first pass over {n0:,} rows its {m.label} {est.format()} could not "
                        f"reach the leader {lead}'s {lead_est.format()}: not refitted on all rows"
                    )

    folds = _folds(y_arr.astype(np.int64) if task != "regression" else y_arr, task, g, times, seed)
    evaluated_rows = 0
    for r in chosen:
        res = results[r.name]
        if res.status != "pending":
            continue
        elapsed = time.perf_counter() - started
        expected = first_seconds.get(r.name, 0.0) / HALVING_SHARE * 1.2
        if climb_s is not None and elapsed + expected > climb_s:
            res.status = "not run"
            res.reason = (
                f"the budget of {budget_s:g} s would be exceeded (elapsed {elapsed:.1f} s"
                + (f", this rung expected to take about {expected:.0f} s)" if expected else ")")
            )
            continue
        say("rung", {"rung": r.name, "rows": n, "elapsed": elapsed})
        try:
            deadline = None if climb_s is None else started + climb_s
            done_before = sum(x.status == "done" for x in results.values())
            left = sum(x.status == "pending" for x in results.values())

            def fold_progress(
                i: int, k: int, r: Rung = r, done_before: int = done_before, left: int = left
            ) -> None:
                elapsed = time.perf_counter() - started
                # a rough ETA: the mean time of the rungs done so far, times the rungs left
                eta = elapsed / done_before * left if done_before else None
                say(
                    "fold",
                    {"rung": r.name, "rows": n, "elapsed": elapsed, "fold": f"{i}/{k}", "eta": eta},
                )

            ev, pred, score, secs, peaks, mem_method, rows_fitted, fold_model = _cross_validate(
                r, ctx, X, y_arr, folds, n_jobs, deadline, fold_progress
            )
            res.scores = _scores(
                y_arr[ev], pred, score, task, metrics, seed, _at(g, ev), n_resamples
            )
            res.predictions = (ev, pred, score)
            res.fit_seconds = mean_interval(secs, method=f"t over {len(secs)} folds")
            res.fit_peak_mb = mean_interval(
                [b / 1e6 for b in peaks], method=f"t over {len(peaks)} folds"
            )
            res.memory_method = mem_method
            res.rows_fitted = rows_fitted
            evaluated_rows = len(ev)
            # the first fold's model stands in until the rung is a finalist (then: all rows)
            res.model = fold_model
            res.model_rows = f"the first fold's model ({rows_fitted:,} rows)"
            size, fmt = serialized_size(fold_model)
            res.size_mb, res.size_format = size / 1e6, fmt
            predict = fold_model.predict if task == "regression" else fold_model.predict_proba
            res.latency = predict_latency(
                predict, X, max_seconds=QUICK_LATENCY_S, min_calls=QUICK_LATENCY_CALLS
            )
            res.status = "done"
            if r.max_rows is not None and n > r.max_rows:
                res.reason = f"fitted on a random subsample of {r.max_rows:,} rows (of {n:,})"
        except OutOfTime as exc:
            res.status = "not run"
            res.reason = (
                f"stopped after its first fold(s): all {len(folds)} would take about "
                f"{exc.projected_s:.1f} s, with {max(0.0, (budget_s or 0) - elapsed):.1f} s of "
                f"the budget of {budget_s:g} s left"
            )
        except Exception as exc:  # a rung that crashes is reported, and the climb goes on
            _failed(res, exc)
    rung_of = {r.name: r for r in chosen}
    listed = [results[r.name] for r in chosen]
    if tune > 0:
        for base, tuned_rung, tuned in _tune_top(
            listed,
            rung_of,
            ctx,
            X,
            y_arr,
            folds,
            metrics,
            tune,
            n_jobs,
            seed,
            budget_s,
            started,
            say,
            g,
            n_resamples,
        ):
            rung_of[tuned.name] = tuned_rung
            listed.insert(listed.index(base) + 1, tuned)
    out = LadderResult(
        task,
        metric,
        m.label,
        n,
        evaluated_rows,
        listed,
        None,
        "",
        {},
        0.0,
        budget_s,
        classes,
    )
    _compare_with_leader(out, y_arr, g, seed, n_resamples)
    _finalise_for_decision(
        out,
        rung_of,
        ctx,
        X,
        y_arr,
        seed,
        latency_budget_ms,
        size_budget_mb,
        None if budget_s is None else started + budget_s,
    )
    if not any(_fits_budget(r, latency_budget_ms, size_budget_mb) is None for r in _tied(out)):
        # nothing that scores like the best fits the budgets: measure the others, best first
        better = m.greater_is_better
        others = [
            r for r in out.rungs if r.status == "done" and not r.model_rows.startswith("all ")
        ]
        others.sort(key=lambda r: r.scores[metric].value, reverse=better)
        for res in others:
            try:
                _finalise(res, rung_of[res.name], ctx, X, y_arr, seed)
            except Exception as exc:
                _failed(res, exc)
                continue
            if _fits_budget(res, latency_budget_ms, size_budget_mb) is None:
                break
    _recommend(out, latency_budget_ms, size_budget_mb)
    out.elapsed_s = time.perf_counter() - started
    return out


def _at(values: np.ndarray | None, rows: np.ndarray) -> np.ndarray | None:
    return None if values is None else values[rows]


def _built_with(build: Callable[[Context], Any], params: dict[str, Any], ctx: Context) -> Any:
    return build(ctx).set_params(**params)


#: how many of the best rungs (with a search space) ``tune`` works on
TUNE_TOP = 2


def _tune_top(
    order: list[RungResult],
    rung_of: dict[str, Rung],
    ctx: Context,
    X: pd.DataFrame,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    metrics: list[str],
    trials: int,
    n_jobs: int,
    seed: int,
    budget_s: float | None,
    started: float,
    say: Progress,
    groups: np.ndarray | None = None,
    n_resamples: int = N_RESAMPLES,
) -> list[tuple[RungResult, Rung, RungResult]]:
    """Optuna (TPE, seeded) on the best rungs that have a search space: N trials each, same folds."""
    import dataclasses
    import functools

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    metric = metrics[0]
    better = get_metric(metric, ctx.task).greater_is_better
    done = [r for r in order if r.status == "done" and rung_of[r.name].space is not None]
    done.sort(key=lambda r: r.scores[metric].value, reverse=better)
    out = []
    for base in done[:TUNE_TOP]:
        rung = rung_of[base.name]
        space = rung.space
        assert space is not None

        def variant(params: dict[str, Any], rung: Rung = rung) -> Rung:
            return dataclasses.replace(
                rung,
                name=f"{rung.name}_tuned",
                build=functools.partial(_built_with, rung.build, params),
                space=None,
            )

        def objective(trial: Any, space: Any = space, variant: Any = variant) -> float:
            ev, pred, score, *_ = _cross_validate(
                variant(space(trial, ctx)), ctx, X, y, folds, n_jobs
            )
            return _scores(y[ev], pred, score, ctx.task, [metric], seed, _at(groups, ev))[
                metric
            ].value

        say("tuning", {"rung": base.name, "rows": len(X), "elapsed": time.perf_counter() - started})
        study = optuna.create_study(
            direction="maximize" if better else "minimize",
            sampler=optuna.samplers.TPESampler(seed=seed),
        )
        timeout = None if budget_s is None else max(1.0, budget_s - (time.perf_counter() - started))
        study.optimize(objective, n_trials=trials, timeout=timeout, catch=(Exception,))
        label = f"{base.label}, tuned ({len(study.trials)} Optuna trials)"
        tuned = RungResult(f"{base.name}_tuned", label, "pending")
        try:
            best_params = space(optuna.trial.FixedTrial(study.best_params), ctx)
        except ValueError:  # every trial failed
            tuned.status, tuned.reason = "failed", "no Optuna trial finished"
            out.append((base, variant({}), tuned))
            continue
        tuned_rung = variant(best_params)
        ev, pred, score, secs, peaks, mem_method, rows_fitted, fold_model = _cross_validate(
            tuned_rung, ctx, X, y, folds, n_jobs
        )
        tuned.scores = _scores(
            y[ev], pred, score, ctx.task, metrics, seed, _at(groups, ev), n_resamples
        )
        tuned.predictions = (ev, pred, score)
        tuned.fit_seconds = mean_interval(secs, method=f"t over {len(secs)} folds")
        tuned.fit_peak_mb = mean_interval(
            [b / 1e6 for b in peaks], method=f"t over {len(peaks)} folds"
        )
        tuned.memory_method, tuned.rows_fitted = mem_method, rows_fitted
        tuned.model, tuned.model_rows = fold_model, f"the first fold's model ({rows_fitted:,} rows)"
        size, fmt = serialized_size(fold_model)
        tuned.size_mb, tuned.size_format = size / 1e6, fmt
        predict = fold_model.predict if ctx.task == "regression" else fold_model.predict_proba
        tuned.latency = predict_latency(
            predict, X, max_seconds=QUICK_LATENCY_S, min_calls=QUICK_LATENCY_CALLS
        )
        tuned.status = "done"
        tuned.reason = (
            f"best of {len(study.trials)} trials on these same folds, so its score is optimistic "
            "by the selection; parameters: "
            + ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in study.best_params.items()
            )
        )
        out.append((base, tuned_rung, tuned))
    return out


def _failed(res: RungResult, exc: BaseException) -> None:
    res.status = "failed"
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})" if last else ""
    res.reason = f"{type(exc).__name__}: {exc}{where}".strip()[:500]


# ---- the recommendation -----------------------------------------------------------------------


def _fits_budget(
    r: RungResult, latency_budget_ms: float | None, size_budget_mb: float | None
) -> str | None:
    """Why a rung breaks the budgets (or cannot be checked against them), or None."""
    if (latency_budget_ms is not None or size_budget_mb is not None) and r.latency is None:
        return "its latency and size were not measured"
    if latency_budget_ms is not None and r.latency is not None:
        p99 = r.latency.single_p99_ms
        if p99.value > latency_budget_ms:
            return (
                f"its p99 latency {p99.value:.2f} ms is over the budget of {latency_budget_ms:g} ms"
            )
    if size_budget_mb is not None and r.size_mb is not None and r.size_mb > size_budget_mb:
        return f"its size {r.size_mb:.2f} MB is over the budget of {size_budget_mb:g} MB"
    return None


def _ratio(a: float, b: float) -> str:
    if a <= 0 or b <= 0:
        return "n/a"
    r = a / b
    return f"{r:,.0f}x" if r >= 10 else f"{r:.1f}x"


def _compare_with_leader(
    out: LadderResult,
    y: np.ndarray,
    groups: np.ndarray | None,
    seed: int,
    n_resamples: int = N_RESAMPLES,
) -> None:
    """Every finished rung against the leader, paired on the same out-of-fold rows."""
    leader_name = out.leader
    if leader_name is None:
        return
    leader = out.rung(leader_name)
    ev_l, pred_l, score_l = leader.predictions
    for r in out.rungs:
        if r.status != "done" or r.name == leader_name:
            continue
        ev, pred, score = r.predictions
        if len(ev) != len(ev_l) or not np.array_equal(ev, ev_l):
            continue
        sa = None if score_l is None else (score_l[:, 1] if out.task == "binary" else score_l)
        sb = None if score is None else (score[:, 1] if out.task == "binary" else score)
        c = compare(
            y[ev],
            pred_l,
            pred,
            score_a=sa,
            score_b=sb,
            metric=out.metric,
            task=out.task,
            groups=None if groups is None else groups[ev],
            names=(leader_name, r.name),
            n_resamples=n_resamples,
            seed=seed,
        )
        out.comparisons[r.name] = c.to_dict()


def _tied(out: LadderResult) -> list[RungResult]:
    """The leader and every rung with no detectable difference from it, in ladder order."""
    return [
        r
        for r in out.rungs
        if r.status == "done"
        and (
            r.name == out.leader
            or out.comparisons.get(r.name, {}).get("verdict") == "no detectable difference"
        )
    ]


def _rival(out: LadderResult) -> RungResult | None:
    """The best finished rung simpler than the leader (the dummy only when nothing else ran)."""
    if out.leader is None:
        return None
    leader = out.rung(out.leader)
    simpler = [
        r
        for r in out.rungs[: out.rungs.index(leader)]
        if r.status == "done" and out.metric in r.scores
    ]
    simpler = [r for r in simpler if r.name != "dummy"] or simpler
    if not simpler:
        return None
    better = get_metric(out.metric, out.task).greater_is_better
    return (max if better else min)(simpler, key=lambda r: r.scores[out.metric].value)


def _finalise_for_decision(
    out: LadderResult,
    rung_of: dict[str, Rung],
    ctx: Context,
    X: pd.DataFrame,
    y: np.ndarray,
    seed: int,
    latency_budget_ms: float | None,
    size_budget_mb: float | None,
    deadline: float | None = None,
) -> None:
    """Refit on all rows and time only what the decision needs: at most three models.

    The tied rungs in ladder order until one fits the budgets (the pick), the leader, and the model
    the sentence compares the pick with (the dearest tied rung, or the best simpler rival). The
    pick is always refitted; another refit that would end past ``deadline`` is skipped, and the
    first fold's model and its measurements stand (and say so).
    """

    def finalise(r: RungResult, always: bool = False) -> None:
        if r.status == "done" and not r.model_rows.startswith("all "):
            # a fold fits 80% of the rows: all of them take about 1.25x, plus the timing
            cost = (r.fit_seconds.value if r.fit_seconds else 0.0) * 1.25 + 0.25
            if not always and deadline is not None and time.perf_counter() + cost > deadline:
                return
            try:
                _finalise(r, rung_of[r.name], ctx, X, y, seed)
            except Exception as exc:  # a model that fails on all rows is reported, not picked
                _failed(r, exc)

    tied = _tied(out)
    pick = None
    for r in tied:
        finalise(r, always=True)  # the model that may ship is always fitted on all rows
        if r.status == "done" and _fits_budget(r, latency_budget_ms, size_budget_mb) is None:
            pick = r
            break
    if out.leader is not None:
        finalise(out.rung(out.leader))
    if pick is not None and pick.name == out.leader:
        dearer = [r for r in _tied(out) if out.rungs.index(r) > out.rungs.index(pick)]
        other = dearer[-1] if dearer else _rival(out)
        if other is not None:
            finalise(other)


def _finalise(
    res: RungResult, rung: Rung, ctx: Context, X: pd.DataFrame, y: np.ndarray, seed: int
) -> None:
    """The model as it would ship: refitted on all rows (or the rung's cap), timed and sized."""
    n = len(X)
    rows = _cap_rows(rung, y, np.arange(n), seed)
    with quiet_fits():
        model = rung.build(ctx).fit(X.iloc[rows], y[rows])
    res.model = model
    res.model_rows = f"all {len(rows):,} training rows"
    predict = model.predict if ctx.task == "regression" else model.predict_proba
    res.latency = predict_latency(predict, X)
    size, fmt = serialized_size(model)
    res.size_mb, res.size_format = size / 1e6, fmt


def _recommend(
    out: LadderResult, latency_budget_ms: float | None, size_budget_mb: float | None
) -> None:
    leader_name = out.leader
    if leader_name is None:
        out.sentence = "No rung finished, so there is nothing to recommend; see each rung's reason."
        return
    leader = out.rung(leader_name)
    label = out.metric_label
    done = [r for r in out.rungs if r.status == "done"]
    tied = _tied(out)
    affordable = [r for r in tied if _fits_budget(r, latency_budget_ms, size_budget_mb) is None]
    n = out.n_evaluated
    lead_txt = f"that of {leader.label}, {leader.scores[out.metric].format()},"
    if not affordable:
        within = [r for r in done if _fits_budget(r, latency_budget_ms, size_budget_mb) is None]
        if not within:
            out.sentence = (
                f"No rung fits the budgets: the best, {leader.label}, scores {label} "
                f"{leader.scores[out.metric].format()}, but "
                f"{_fits_budget(leader, latency_budget_ms, size_budget_mb)}. Relax the budgets or "
                "look for a cheaper model."
            )
            return
        best_within = (
            max(within, key=lambda r: r.scores[out.metric].value)
            if get_metric(out.metric, out.task).greater_is_better
            else min(within, key=lambda r: r.scores[out.metric].value)
        )
        diff = out.comparisons.get(best_within.name, {}).get("difference", {})
        if best_within.name == "dummy":
            out.sentence = (
                f"No rung that fits the budgets does better than {best_within.label} "
                f"({label} {best_within.scores[out.metric].format()}); the best overall, "
                f"{leader.label}, {_fits_budget(leader, latency_budget_ms, size_budget_mb)}. "
                "Relax the budgets or look for a cheaper model."
            )
            return
        out.recommended = best_within.name
        out.sentence = (
            f"Use {best_within.label}: it is the best rung within the budgets, with {label} "
            f"{best_within.scores[out.metric].format()}; the best overall, {leader.label} "
            f"({leader.scores[out.metric].format()}), is better by {_diff_text(diff)} but "
            f"{_fits_budget(leader, latency_budget_ms, size_budget_mb)}."
        )
        return
    pick = affordable[0]  # rungs are in order of cost: the first is the cheapest
    out.recommended = pick.name
    if pick.name != leader_name:
        out.sentence = (
            f"Use {pick.label}: its {label} {pick.scores[out.metric].format()} is "
            f"indistinguishable from {lead_txt} on {n:,} rows, and "
            f"{_costs(pick, leader)}."
        )
        return
    dearer = [r for r in tied if out.rungs.index(r) > out.rungs.index(pick)]
    if dearer:  # the best is also the simplest of its peers: say what the others would cost
        top = dearer[-1]  # the most expensive rung that scores alike
        out.sentence = (
            f"Use {pick.label}: its {label} {pick.scores[out.metric].format()} is the best on "
            f"{n:,} rows, and more complex rungs such as {top.label} "
            f"({top.scores[out.metric].format()}) do no better; against it, "
            f"{_costs(pick, top)}."
        )
        return
    rival = _rival(out)
    if rival is None or rival.name not in out.comparisons:
        out.sentence = (
            f"Use {leader.label}: it scores {label} {leader.scores[out.metric].format()} on "
            f"{n:,} rows (out of fold); no simpler rung finished to compare with."
        )
        return
    diff = out.comparisons[rival.name].get("difference", {})
    out.sentence = (
        f"Use {leader.label}: its {label} {leader.scores[out.metric].format()} beats the next "
        f"best rung, {rival.label} ({rival.scores[out.metric].format()}), by {_diff_text(diff)} "
        f"on {n:,} rows; against it, {_costs(leader, rival)}."
    )


def _diff_text(diff: dict[str, Any]) -> str:
    if not diff:
        return "an amount not measured"
    return f"{abs(diff['value']):.3f} ({diff['low']:+.3f} to {diff['high']:+.3f})"


def _costs(a: RungResult, b: RungResult) -> str:
    """How a's single-row latency and size compare with b's, in words with both figures."""
    if a.latency is None or b.latency is None or a.size_mb is None or b.size_mb is None:
        return "its latency and size were not measured"
    la, lb = a.latency.single_p50_ms.value, b.latency.single_p50_ms.value
    if max(la, lb) < 1.25 * min(la, lb):
        speed = "about as fast"
    else:
        speed = f"{_ratio(la, lb)} slower" if la > lb else f"{_ratio(lb, la)} faster"
    if max(a.size_mb, b.size_mb) < 1.25 * min(a.size_mb, b.size_mb):
        size = "about as large"
    elif a.size_mb > b.size_mb:
        size = f"{_ratio(a.size_mb, b.size_mb)} larger"
    else:
        size = f"{_ratio(b.size_mb, a.size_mb)} smaller"
    return (
        f"it predicts {speed} (single row, p50 {la:.2f} ms vs {lb:.2f} ms) and is {size} "
        f"({a.size_mb:.2f} MB vs {b.size_mb:.2f} MB)"
    )
