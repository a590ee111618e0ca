"""The metrics users quote, each expressed as sufficient statistics so that it can be bootstrapped.

A metric is one entry in ``METRICS``: which tasks it applies to, whether it needs scores, which
direction is better, and ``rows(preds, costs)`` giving each row's contribution (see
``_bootstrap.RowStats``). Adding a metric is adding one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse
from sklearn.metrics import average_precision_score, roc_auc_score

from candor.stats._bootstrap import RowStats, rows_from_codes
from candor.stats._inputs import Predictions

Kind = Literal["proportion", "rank", "loss", "cost", "regression"]

#: scores with at most this many distinct values are ranked exactly; above it they are binned
EXACT_LEVELS = 512
#: quantile bins for rank metrics on many distinct scores (bootstrap spread only; centre is exact)
SCORE_BINS = 512
_EPS = 1e-15


@dataclass(frozen=True)
class Costs:
    """What one mistake costs the business (binary tasks): a false positive and a false negative."""

    false_positive: float = 1.0
    false_negative: float = 1.0


@dataclass(frozen=True)
class Metric:
    """One metric: its name, what it applies to, and its per-row contributions."""

    name: str
    label: str
    tasks: frozenset[str]
    needs_score: bool
    greater_is_better: bool
    kind: Kind
    rows: Callable[[Predictions, Costs | None], RowStats]
    #: exact point value when ``rows`` approximates it (binned scores); None when ``rows`` is exact
    exact: Callable[[Predictions], float] | None = None


# --- confusion-count metrics -----------------------------------------------------------------------
def _confusion(S: np.ndarray, k: int) -> np.ndarray:
    return S.reshape(S.shape[0], k, k)  # rows: true class, columns: predicted class


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # scikit-learn's zero_division=0 convention: an empty denominator scores 0
    return np.divide(a, b, out=np.zeros_like(a, dtype=float), where=b > 0)


def _per_class(S: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    C = _confusion(S, k)
    tp = np.diagonal(C, axis1=1, axis2=2)
    return tp, C.sum(axis=2), C.sum(axis=1)  # tp, support (true), predicted


def _confusion_rows(statistic: Callable[[np.ndarray, int], np.ndarray]) -> Callable[..., RowStats]:
    def rows(p: Predictions, costs: Costs | None = None) -> RowStats:
        k = max(p.n_classes, 2)
        assert p.pred is not None
        return rows_from_codes(p.y * k + p.pred, k * k, lambda S: statistic(S, k))

    return rows


def _accuracy(S: np.ndarray, k: int) -> np.ndarray:
    C = _confusion(S, k)
    return np.trace(C, axis1=1, axis2=2) / C.sum(axis=(1, 2))


def _balanced_accuracy(S: np.ndarray, k: int) -> np.ndarray:
    tp, support, _ = _per_class(S, k)
    recall = np.where(support > 0, tp / np.maximum(support, 1), np.nan)
    with np.errstate(invalid="ignore"):
        return np.nanmean(recall, axis=1)


def _precision(S: np.ndarray, k: int) -> np.ndarray:
    tp, _, predicted = _per_class(S, k)
    return _safe_div(tp[:, 1], predicted[:, 1])


def _recall(S: np.ndarray, k: int) -> np.ndarray:
    tp, support, _ = _per_class(S, k)
    return _safe_div(tp[:, 1], support[:, 1])


def _f1(S: np.ndarray, k: int) -> np.ndarray:
    tp, support, predicted = _per_class(S, k)
    return _safe_div(2 * tp[:, 1], support[:, 1] + predicted[:, 1])


def _macro(S: np.ndarray, k: int, which: str) -> np.ndarray:
    tp, support, predicted = _per_class(S, k)
    if which == "precision":
        per = _safe_div(tp, predicted)
    elif which == "recall":
        per = _safe_div(tp, support)
    else:
        per = _safe_div(2 * tp, support + predicted)
    present = (support + predicted) > 0  # classes seen among these rows, as scikit-learn does
    return np.where(present, per, 0.0).sum(axis=1) / np.maximum(present.sum(axis=1), 1)


def _cost_rows(p: Predictions, costs: Costs | None) -> RowStats:
    c = costs or Costs()
    assert p.pred is not None

    def cost(S: np.ndarray) -> np.ndarray:
        C = _confusion(S, 2)
        return (C[:, 0, 1] * c.false_positive + C[:, 1, 0] * c.false_negative) / C.sum(axis=(1, 2))

    return rows_from_codes(p.y * 2 + p.pred, 4, cost)


# --- rank metrics (ROC AUC, PR AUC) on per-level class counts ----------------------------------------
def score_levels(score: np.ndarray) -> tuple[np.ndarray, int]:
    """Each score's level in ascending order: exact distinct values, or quantile bins if too many."""
    uniq, inverse = np.unique(score, return_inverse=True)
    if uniq.shape[0] <= EXACT_LEVELS:
        return inverse.astype(np.int64), int(uniq.shape[0])
    edges = np.unique(np.quantile(score, np.linspace(0, 1, SCORE_BINS + 1))[1:-1])
    return np.searchsorted(edges, score, side="right").astype(np.int64), int(edges.shape[0]) + 1


def auc_from_counts(neg: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """ROC AUC from per-level counts of negatives and positives, levels in ascending score order."""
    below = np.cumsum(neg, axis=1) - neg
    num = np.sum(pos * (below + 0.5 * neg), axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


def ap_from_counts(neg: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Average precision from per-level counts (ties form one threshold, as in scikit-learn)."""
    tp = np.cumsum(pos[:, ::-1], axis=1)
    fp = np.cumsum(neg[:, ::-1], axis=1)
    precision = _safe_div(tp, tp + fp)
    total = pos.sum(axis=1)
    num = np.sum(pos[:, ::-1] * precision, axis=1)
    return np.divide(num, total, out=np.full(num.shape, np.nan), where=total > 0)


def _binary_rank_rows(
    of_counts: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Callable[..., RowStats]:
    def rows(p: Predictions, costs: Costs | None = None) -> RowStats:
        assert p.score is not None
        levels, n_levels = score_levels(p.score[:, 1])
        codes = p.y * n_levels + levels  # class-0 cells first, then class-1 cells

        def stat(S: np.ndarray) -> np.ndarray:
            return of_counts(S[:, :n_levels], S[:, n_levels:])

        return rows_from_codes(codes, 2 * n_levels, stat)

    return rows


def _multiclass_rank_rows(
    of_counts: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Callable[..., RowStats]:
    def rows(p: Predictions, costs: Costs | None = None) -> RowStats:
        # one-vs-rest: every row falls in one cell of each class's (is-class, level) table
        assert p.score is not None
        n, k = p.n, p.n_classes
        offsets, cols, widths = 0, [], []
        for c in range(k):
            levels, n_levels = score_levels(p.score[:, c])
            cols.append(offsets + (p.y == c) * n_levels + levels)
            widths.append(n_levels)
            offsets += 2 * n_levels
        col = np.concatenate(cols)
        row = np.tile(np.arange(n), k)
        X = sparse.csr_matrix((np.ones(n * k), (row, col)), shape=(n, offsets))
        starts = np.cumsum([0] + [2 * w for w in widths])

        def stat(S: np.ndarray) -> np.ndarray:
            per = [
                of_counts(S[:, s : s + w], S[:, s + w : s + 2 * w])
                for s, w in zip(starts[:-1], widths, strict=True)
            ]
            with np.errstate(invalid="ignore"):
                return np.nanmean(np.column_stack(per), axis=1)

        return RowStats(X, stat)

    return rows


def _rank_rows(
    binary_stat: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> Callable[..., RowStats]:
    binary, multi = _binary_rank_rows(binary_stat), _multiclass_rank_rows(binary_stat)

    def rows(p: Predictions, costs: Costs | None = None) -> RowStats:
        return binary(p, costs) if p.task == "binary" else multi(p, costs)

    return rows


def _exact_roc_auc(p: Predictions) -> float:
    assert p.score is not None
    if p.task == "binary":
        return float(roc_auc_score(p.y, p.score[:, 1]))
    present = [c for c in range(p.n_classes) if 0 < np.sum(p.y == c) < p.n]
    return float(np.mean([roc_auc_score(p.y == c, p.score[:, c]) for c in present]))


def _exact_pr_auc(p: Predictions) -> float:
    assert p.score is not None
    if p.task == "binary":
        return float(average_precision_score(p.y, p.score[:, 1]))
    present = [c for c in range(p.n_classes) if np.any(p.y == c)]
    return float(np.mean([average_precision_score(p.y == c, p.score[:, c]) for c in present]))


# --- per-row means: probabilistic losses and regression errors --------------------------------------
def _mean_rows(
    per_row: Callable[[Predictions], np.ndarray], finish: Callable[[np.ndarray], np.ndarray]
) -> Callable[..., RowStats]:
    def rows(p: Predictions, costs: Costs | None = None) -> RowStats:
        values = per_row(p)
        X = np.column_stack([values, np.ones_like(values)])
        return RowStats(X, lambda S: finish(S[:, 0] / S[:, 1]))

    return rows


def _log_loss_per_row(p: Predictions) -> np.ndarray:
    assert p.score is not None
    prob = p.score / p.score.sum(axis=1, keepdims=True)
    return -np.log(np.clip(prob[np.arange(p.n), p.y], _EPS, 1.0))


def _brier_per_row(p: Predictions) -> np.ndarray:
    assert p.score is not None
    if p.task == "binary":
        return (p.score[:, 1] - (p.y == 1)) ** 2
    onehot = np.eye(p.n_classes)[p.y]
    return np.sum((p.score - onehot) ** 2, axis=1)


def _errors(p: Predictions) -> np.ndarray:
    assert p.pred is not None
    return np.asarray(p.pred - p.y, dtype=float)


def _r2_rows(p: Predictions, costs: Costs | None = None) -> RowStats:
    e, y = _errors(p), p.y
    X = np.column_stack([e**2, y, y**2, np.ones_like(y)])

    def r2(S: np.ndarray) -> np.ndarray:
        sst = S[:, 2] - S[:, 1] ** 2 / S[:, 3]
        return np.divide(S[:, 0], sst, out=np.full(sst.shape, np.nan), where=sst > 1e-12 * S[:, 2])

    return RowStats(X, lambda S: 1.0 - r2(S))


def _identity(x: np.ndarray) -> np.ndarray:
    return x


_CLS = frozenset({"binary", "multiclass"})
_BIN = frozenset({"binary"})
_REG = frozenset({"regression"})

METRICS: dict[str, Metric] = {
    m.name: m
    for m in [
        Metric("accuracy", "accuracy", _CLS, False, True, "proportion", _confusion_rows(_accuracy)),
        Metric(
            "balanced_accuracy",
            "balanced accuracy",
            _CLS,
            False,
            True,
            "proportion",
            _confusion_rows(_balanced_accuracy),
        ),
        Metric(
            "precision", "precision", _BIN, False, True, "proportion", _confusion_rows(_precision)
        ),
        Metric("recall", "recall", _BIN, False, True, "proportion", _confusion_rows(_recall)),
        Metric("f1", "F1", _BIN, False, True, "proportion", _confusion_rows(_f1)),
        Metric(
            "precision_macro",
            "precision (macro)",
            _CLS,
            False,
            True,
            "proportion",
            _confusion_rows(lambda S, k: _macro(S, k, "precision")),
        ),
        Metric(
            "recall_macro",
            "recall (macro)",
            _CLS,
            False,
            True,
            "proportion",
            _confusion_rows(lambda S, k: _macro(S, k, "recall")),
        ),
        Metric(
            "f1_macro",
            "F1 (macro)",
            _CLS,
            False,
            True,
            "proportion",
            _confusion_rows(lambda S, k: _macro(S, k, "f1")),
        ),
        Metric(
            "roc_auc",
            "ROC AUC",
            _CLS,
            True,
            True,
            "rank",
            _rank_rows(auc_from_counts),
            _exact_roc_auc,
        ),
        Metric(
            "pr_auc",
            "PR AUC (average precision)",
            _CLS,
            True,
            True,
            "rank",
            _rank_rows(ap_from_counts),
            _exact_pr_auc,
        ),
        Metric(
            "log_loss",
            "log loss",
            _CLS,
            True,
            False,
            "loss",
            _mean_rows(_log_loss_per_row, _identity),
        ),
        Metric(
            "brier", "Brier score", _CLS, True, False, "loss", _mean_rows(_brier_per_row, _identity)
        ),
        Metric("cost", "cost per prediction", _BIN, False, False, "cost", _cost_rows),
        Metric(
            "mae",
            "MAE",
            _REG,
            False,
            False,
            "regression",
            _mean_rows(lambda p: np.abs(_errors(p)), _identity),
        ),
        Metric(
            "rmse",
            "RMSE",
            _REG,
            False,
            False,
            "regression",
            _mean_rows(lambda p: _errors(p) ** 2, np.sqrt),
        ),
        Metric("r2", "R²", _REG, False, True, "regression", _r2_rows),
    ]
}


def default_metrics(task: str, has_score: bool, has_costs: bool) -> list[str]:
    """The metrics candor reports for a task when none are named."""
    if task == "regression":
        return ["mae", "rmse", "r2"]
    names = (
        ["accuracy", "balanced_accuracy", "precision", "recall", "f1"]
        if task == "binary"
        else ["accuracy", "balanced_accuracy", "f1_macro"]
    )
    if has_score:
        names += ["roc_auc", "pr_auc", "log_loss", "brier"]
    if has_costs and task == "binary":
        names.append("cost")
    return names
