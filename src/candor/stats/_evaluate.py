"""``evaluate``: every metric with its interval, n and method, and the claims they support."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from candor.errors import MetricError
from candor.stats._bootstrap import BOOTSTRAP_METHODS, bootstrap, jackknife_normal
from candor.stats._claims import Claim, claim_for
from candor.stats._delong import delong_interval
from candor.stats._estimate import Estimate
from candor.stats._inputs import Predictions, prepare_predictions
from candor.stats._metrics import METRICS, Costs, Metric, default_metrics
from candor.stats._proportion import clopper_pearson_interval, wilson_interval

INTERVAL_METHODS = ("auto", *BOOTSTRAP_METHODS)

#: with ``method="auto"``, resampling rows one by one beyond this many draws (units x resamples)
#: gives way to the jackknife-normal interval, which is as good at that size and far cheaper
AUTO_BOOTSTRAP_DRAWS = 200_000_000


@dataclass(frozen=True)
class Evaluation:
    """Metrics of one set of predictions: ``Estimate``s, the claims they support, and skipped ones."""

    task: str
    n: int
    n_groups: int | None
    level: float
    seed: int
    classes: tuple[Any, ...]
    metrics: dict[str, Estimate]
    claims: tuple[Claim, ...]
    skipped: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Estimate:
        return self.metrics[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "n": self.n,
            "n_groups": self.n_groups,
            "level": self.level,
            "seed": self.seed,
            "classes": [c if isinstance(c, int | float | str) else str(c) for c in self.classes],
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
            "claims": [c.to_dict() for c in self.claims],
            "skipped": dict(self.skipped),
        }


def get_metric(name: str, task: str) -> Metric:
    """The metric called ``name``, checked against the task; a clear error otherwise."""
    if name not in METRICS:
        import difflib

        near = difflib.get_close_matches(name, METRICS, n=1)
        hint = f" Did you mean {near[0]!r}?" if near else ""
        raise MetricError(f"unknown metric {name!r}.{hint} Known metrics: {', '.join(METRICS)}")
    m = METRICS[name]
    if task not in m.tasks:
        valid = [k for k, v in METRICS.items() if task in v.tasks]
        raise MetricError(
            f"metric {name!r} does not apply to a {task} task; use one of {', '.join(valid)}"
        )
    return m


def metric_value(metric: Metric, p: Predictions, costs: Costs | None = None) -> float:
    """The metric's point value on ``p`` alone, with no interval (for curves of many small fits)."""
    if metric.exact is not None:
        return float(metric.exact(p))
    rows = metric.rows(p, costs)
    total = np.asarray(rows.X.sum(axis=0)).ravel()
    return float(rows.statistic(total[None, :])[0])


def _why_undefined(metric: Metric, p: Predictions) -> str | None:
    if metric.needs_score and p.score is None:
        return "needs scores (probabilities); pass y_score"
    if not metric.needs_score and p.pred is None:
        return "needs predicted labels"
    if metric.kind == "rank" and len(np.unique(p.y)) < 2:
        return "needs both classes among the true labels"
    return None


def estimate_metric(
    metric: Metric,
    p: Predictions,
    *,
    groups: np.ndarray | None = None,
    costs: Costs | None = None,
    level: float = 0.95,
    n_resamples: int = 10_000,
    method: str = "auto",
    seed: int = 0,
) -> Estimate:
    """One metric's ``Estimate``. ``method='auto'`` picks the closed form where one is sound.

    Accuracy with independent rows gets Wilson (exact Clopper-Pearson at 0 or n errors); binary
    ROC AUC gets DeLong; everything else, and anything with groups, the (cluster) BCa bootstrap,
    except per-row means over so many rows that resampling them one by one would take minutes:
    those get a normal interval with the exact jackknife's standard error.
    """
    if method not in INTERVAL_METHODS:
        raise MetricError(f"unknown interval method {method!r}, expected one of {INTERVAL_METHODS}")
    if method == "auto" and groups is None:
        if metric.name == "accuracy":
            assert p.pred is not None
            k = int(np.sum(p.y == p.pred))
            return (clopper_pearson_interval if k in (0, p.n) else wilson_interval)(k, p.n, level)
        if metric.name == "roc_auc" and p.task == "binary":
            assert p.score is not None
            return delong_interval(p.y, p.score[:, 1], level)
    rows = metric.rows(p, costs)
    value = metric.exact(p) if metric.exact is not None else None
    if method == "auto" and rows.codes is None:
        n_units = p.n if groups is None else len(np.unique(groups))
        if n_units * n_resamples > AUTO_BOOTSTRAP_DRAWS:
            return jackknife_normal(rows, groups=groups, level=level, value=value)
    res = bootstrap(
        rows,
        groups=groups,
        n_resamples=n_resamples,
        level=level,
        method="bca" if method == "auto" else method,
        seed=seed,
        value=value,
    )
    return _bounded(metric, p, res.estimate, groups)


def _bounded(metric: Metric, p: Predictions, est: Estimate, groups: np.ndarray | None) -> Estimate:
    """Keep intervals of bounded metrics inside [0, 1], and give perfect scores an exact bound.

    When every row is right, every resample is perfect too and the bootstrap says
    "1.000 (1.000-1.000)", a certainty the data cannot give. No errors in k independent trials
    supports the exact (Clopper-Pearson) lower bound for 0 errors in k: k is the number of rows (or
    groups) for accuracy, the rows predicted positive for precision, the positive rows for recall,
    and the smallest class's for class-averaged and rank metrics, which can be no better than
    their weakest class.
    """
    if metric.kind not in ("proportion", "rank"):
        return est
    perfect = est.value == (1.0 if metric.greater_is_better else 0.0)
    if not perfect:
        low, high = max(est.low, 0.0), min(est.high, 1.0)
        if (low, high) == (est.low, est.high):
            return est
        return Estimate(est.value, low, high, est.level, est.n, est.method)
    if metric.name == "accuracy":
        k = p.n if groups is None else len(np.unique(groups))
        what = "rows" if groups is None else "groups"
    elif metric.name in ("precision", "recall") and p.pred is not None:
        # precision's trials are the rows predicted positive, recall's the positive rows
        hit = (p.pred == 1) if metric.name == "precision" else (p.y == 1)
        k = int(hit.sum()) if groups is None else len(np.unique(groups[hit]))
        unit = "rows" if groups is None else "groups"
        what = f"{unit} predicted positive" if metric.name == "precision" else f"positive {unit}"
    else:
        per_class = [
            int(np.sum(p.y == c)) if groups is None else len(np.unique(groups[p.y == c]))
            for c in np.unique(p.y)
        ]
        k = min(per_class)
        what = "rows of the smallest class" if groups is None else "groups of the smallest class"
    bound = clopper_pearson_interval(k, k, est.level)
    return Estimate(
        est.value, bound.low, 1.0, est.level, est.n, f"exact bound, 0 errors in {k:,} {what}"
    )


def evaluate(
    y_true: Any,
    y_pred: Any = None,
    y_score: Any = None,
    *,
    metrics: list[str] | None = None,
    task: str | None = None,
    groups: Any = None,
    costs: Costs | None = None,
    level: float = 0.95,
    n_resamples: int = 10_000,
    method: str = "auto",
    seed: int = 0,
) -> Evaluation:
    """Evaluate predictions: every metric as an ``Estimate``, plus plain-language claims.

    ``y_score`` is the positive class's probability (binary) or one column per class in sorted
    class order. ``groups`` (e.g. a customer id per row) switches to the cluster bootstrap, since
    rows of one group are not independent.

    >>> ev = evaluate([0, 1, 1, 0, 1, 1, 0, 1] * 25, [0, 1, 0, 0, 1, 1, 1, 1] * 25)
    >>> ev["accuracy"].value, ev["accuracy"].method
    (0.75, 'Wilson')
    """
    if not 0 < level < 1:
        raise MetricError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    if n_resamples < 1000:
        raise MetricError(
            f"n_resamples={n_resamples} is too few for an interval; use at least 1,000"
        )
    p = prepare_predictions(y_true, y_pred, y_score, task)
    g = None
    if groups is not None:
        g = np.asarray(groups)
        if g.shape[0] != p.n:
            raise MetricError(f"groups has {g.shape[0]} entries but there are {p.n} rows")
    names = metrics or default_metrics(p.task, p.score is not None, costs is not None)
    results: dict[str, Estimate] = {}
    skipped: dict[str, str] = {}
    claims: list[Claim] = []
    for name in names:
        metric = get_metric(name, p.task)
        why = _why_undefined(metric, p)
        if why is not None:
            if metrics:  # asked for by name: say so loudly
                raise MetricError(f"metric {name!r} {why}")
            skipped[name] = why
            continue
        est = estimate_metric(
            metric,
            p,
            groups=g,
            costs=costs,
            level=level,
            n_resamples=n_resamples,
            method=method,
            seed=seed,
        )
        results[name] = est
        errors = (
            int(np.sum(p.y != p.pred)) if p.pred is not None and p.task != "regression" else None
        )
        claims.append(claim_for(metric, est, errors=errors))
    n_groups = None if g is None else len(np.unique(g))
    return Evaluation(
        p.task, p.n, n_groups, level, seed, p.classes, results, tuple(claims), skipped
    )
