"""Target leakage: a column, a pair of columns or a missingness pattern that is the target in disguise.

Each candidate is scored out of fold by the simplest model of it, a histogram (its per-bin target
rate or mean), on a sample of the training rows. Pairs are many (1,176 for 49 columns), so every
pair is first screened at once by an in-sample score of its histograms on a smaller sample; only the
pairs that pass get the out-of-fold score with its interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from candor.audit._checks import AuditInput, check, is_numeric
from candor.audit._findings import Finding
from candor.stats import Estimate

#: a candidate whose out-of-fold score has its lower bound above this is the target in disguise
LEAK_ERROR_LOW = 0.98
#: ... or whose point score is this close to perfect (small samples cannot push the bound higher)
LEAK_ERROR_VALUE = 0.985
#: ... and whose point score is above this is suspicious
LEAK_WARNING_VALUE = 0.97
#: rows of the training set sampled to score candidates out of fold
LEAK_SAMPLE_ROWS = 20_000
#: quantile bins of one column for its out-of-fold solo score (missing values get a bin of their own)
SOLO_BINS = 32
#: rows of that sample used to screen every pair of columns at once
PAIR_SAMPLE_ROWS = 5_000
#: pairs are formed among at most this many columns, the strongest alone
PAIR_MAX_COLUMNS = 100
#: quantile bins per column on the grid of a pair (8 x 8 cells, plus a row and column for missing)
PAIR_GRID_BINS = 8
#: ... and at most this many levels of a text column (the most common; the rest share one)
PAIR_GRID_LEVELS = 12
#: a pair goes on to the out-of-fold score when its in-sample screening score reaches this
PAIR_SCREEN = 0.95
#: at most this many pairs are reported (the strongest)
PAIR_MAX_FINDINGS = 5
_FOLDS = 5
_PAIR_BLOCK = 512
_SCORE_NAME = {"binary": "ROC AUC", "multiclass": "balanced accuracy", "regression": "R²"}


def _bins(x: pd.Series, bins: int = SOLO_BINS) -> np.ndarray:
    """Quantile-bin codes of a column, 1..2 x bins; 0 for missing (and infinite) values."""
    if is_numeric(x):
        v = x.to_numpy(dtype=float, na_value=np.nan)
        finite = v[np.isfinite(v)]
        edges: np.ndarray = (
            np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1))[1:-1])
            if finite.size
            else np.empty(0)
        )
        # a value equal to an edge gets a bin of its own (odd codes), so that a heavily repeated value
        # (half the rows at 0) never shares a bin with the values next to it
        codes = np.searchsorted(edges, v, side="left") + np.searchsorted(edges, v, side="right") + 1
        return np.where(np.isfinite(v), codes, 0)
    codes = pd.Categorical(x.astype(str)).codes.astype(np.int64) + 1
    return np.where(x.isna().to_numpy(), 0, codes)


def _histogram_score(b: np.ndarray, y: np.ndarray, task: str, seed: int) -> Estimate:
    """Out-of-fold score of a histogram model over the integer codes ``b``: per-code rate or mean.

    One ``bincount`` per fold: as flexible as a shallow tree (any non-monotone pattern over the
    codes) at a fraction of its cost.
    """
    from candor.stats import evaluate

    n_bins = int(b.max()) + 1
    fold = np.random.default_rng(seed).permutation(len(b)) % _FOLDS
    if task == "regression":
        yf = y.astype(float)
        pred = np.empty(len(b))
        for f in range(_FOLDS):
            tr, te = fold != f, fold == f
            sums = np.bincount(b[tr], weights=yf[tr], minlength=n_bins)
            counts = np.bincount(b[tr], minlength=n_bins)
            means = np.divide(sums, counts, out=np.full(n_bins, yf[tr].mean()), where=counts > 0)
            pred[te] = means[b[te]]
        return evaluate(yf, pred, metrics=["r2"], n_resamples=1000, seed=seed)["r2"]
    classes, yi = np.unique(y, return_inverse=True)
    k = len(classes)
    proba = np.empty((len(b), k))
    for f in range(_FOLDS):
        tr, te = fold != f, fold == f
        table = np.bincount(b[tr] * k + yi[tr], minlength=n_bins * k).reshape(n_bins, k) + 0.5
        proba[te] = (table / table.sum(axis=1, keepdims=True))[b[te]]
    if task == "binary":
        return evaluate(yi, None, proba[:, 1], metrics=["roc_auc"], task="binary")["roc_auc"]
    pred = np.argmax(proba, axis=1)
    return evaluate(yi, pred, metrics=["balanced_accuracy"], n_resamples=1000, seed=seed)[
        "balanced_accuracy"
    ]


def _severity(est: Estimate) -> str | None:
    if est.low >= LEAK_ERROR_LOW or est.value >= LEAK_ERROR_VALUE:
        return "error"
    return "warning" if est.value >= LEAK_WARNING_VALUE else None


# ---- pairs: screened all at once -------------------------------------------------------------


def _rank_bins(M: np.ndarray, bins: int) -> np.ndarray:
    """Equal-frequency bin codes 0..2 x bins - 2 of every column of ``M``; non-finite values 2 x bins.

    From ranks rather than quantile edges, so that one sort bins a whole block of columns (each
    column is made contiguous first: sorting along strided memory is several times slower). Tied
    values share one code, so a value never straddles two bins.
    """
    V = np.ascontiguousarray(M.T, dtype=np.float32)  # one column per row
    finite = np.isfinite(V)
    V[~finite] = np.inf
    order = np.argsort(V, axis=1)
    ordered = np.take_along_axis(V, order, axis=1)
    cols = np.arange(V.shape[1])[None, :]
    new_value = np.ones(V.shape, dtype=bool)
    new_value[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    n = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    first = np.maximum.accumulate(np.where(new_value, cols, 0), axis=1)
    last_value = np.ones(V.shape, dtype=bool)
    last_value[:, :-1] = new_value[:, 1:]
    last = np.minimum.accumulate(np.where(last_value, cols, V.shape[1])[:, ::-1], axis=1)[:, ::-1]
    # the bins of a tie's first and last rows, added: ordinary values get even codes, and a tie
    # spanning bins gets a code no other value has (the bins it spans hold nothing else)
    coded = first * bins // n + last * bins // n
    codes = np.empty(V.shape, dtype=np.int64)
    np.put_along_axis(codes, order, coded, axis=1)
    return np.where(finite, codes, 2 * bins).T


def _in_sample_scores(B: np.ndarray, n_codes: int, y: np.ndarray, task: str) -> np.ndarray:
    """In-sample score of a histogram model for every column of the code matrix ``B`` at once.

    ROC AUC (binary), balanced accuracy (multiclass) or R² (regression); ``y`` holds class codes
    for classification.
    """
    p = B.shape[1]
    idx = B + (np.arange(p) * n_codes)[None, :]
    if task == "regression":
        yw = np.broadcast_to(y[:, None], B.shape).ravel()
        sums = np.bincount(idx.ravel(), weights=yw, minlength=p * n_codes).reshape(p, n_codes)
        counts = np.bincount(idx.ravel(), minlength=p * n_codes).reshape(p, n_codes)
        between = np.divide(sums**2, counts, out=np.zeros_like(sums), where=counts > 0).sum(1)
        total = float(np.sum((y - y.mean()) ** 2)) or 1.0
        return 1 - (float(np.sum(y**2)) - between) / total
    k = int(y.max()) + 1
    flat = (idx * k + y[:, None]).ravel()
    table = np.bincount(flat, minlength=p * n_codes * k).reshape(p, n_codes, k)
    if task == "binary":
        neg, pos = table[..., 0], table[..., 1]
        order = np.argsort(pos / np.maximum(pos + neg, 1), axis=1)
        pos, neg = np.take_along_axis(pos, order, 1), np.take_along_axis(neg, order, 1)
        above = pos.sum(1, keepdims=True) - np.cumsum(pos, axis=1)
        n_pos, n_neg = pos.sum(1), neg.sum(1)
        return (neg * (above + 0.5 * pos)).sum(1) / np.maximum(n_pos * n_neg, 1)
    majority = table.argmax(axis=2)
    correct = np.where(majority[..., None] == np.arange(k), table, 0).sum(axis=1)
    return (correct / np.maximum(np.bincount(y, minlength=k), 1)).mean(axis=1)


def _transforms(a: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Arithmetic relations a leak often takes: a total minus a part, parts that add up, a rate."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        raw = {"difference": a - b, "sum": a + b, "ratio": a / b}
    # computed in float64, kept in float32: (u + 3) - u is 2.9999999999999996, and such dust would
    # split one value across quantile bins
    return {k: v.astype(np.float32) for k, v in raw.items()}


def _screen_pairs(
    frame: pd.DataFrame, cols: list[str], y: np.ndarray, task: str
) -> list[tuple[str, str, str]]:
    """(column, column, relation) for every pair whose screening score reaches ``PAIR_SCREEN``."""
    numeric = [c for c in cols if is_numeric(frame[c])]
    X = np.column_stack(
        [frame[c].to_numpy(dtype=float, na_value=np.nan) for c in numeric] or [np.empty(len(frame))]
    )
    grid = np.column_stack(
        [
            _rank_bins(X[:, [numeric.index(c)]], PAIR_GRID_BINS)[:, 0]
            if c in numeric
            else np.minimum(_frequency_codes(frame[c]), PAIR_GRID_LEVELS)
            for c in cols
        ]
    )
    found: list[tuple[str, str, str]] = []
    if len(numeric) > 1:
        first, second = np.triu_indices(len(numeric), 1)
        for s in range(0, len(first), _PAIR_BLOCK):
            i, j = first[s : s + _PAIR_BLOCK], second[s : s + _PAIR_BLOCK]
            for name, values in _transforms(X[:, i], X[:, j]).items():
                scores = _in_sample_scores(
                    _rank_bins(values, SOLO_BINS), 2 * SOLO_BINS + 1, y, task
                )
                hit = scores >= PAIR_SCREEN
                found += [
                    (numeric[a], numeric[b], name) for a, b in zip(i[hit], j[hit], strict=True)
                ]
    side = max(2 * PAIR_GRID_BINS, PAIR_GRID_LEVELS) + 1
    first, second = np.triu_indices(len(cols), 1)
    for s in range(0, len(first), _PAIR_BLOCK):
        i, j = first[s : s + _PAIR_BLOCK], second[s : s + _PAIR_BLOCK]
        scores = _in_sample_scores(grid[:, i] * side + grid[:, j], side * side, y, task)
        found += [
            (cols[a], cols[b], "grid")
            for a, b in zip(i[scores >= PAIR_SCREEN], j[scores >= PAIR_SCREEN], strict=True)
        ]
    return found


def _frequency_codes(s: pd.Series) -> np.ndarray:
    """Codes of a text column by frequency, the most common first; missing values last of all."""
    codes, _ = pd.factorize(s)
    rank = np.argsort(np.argsort(-np.bincount(codes[codes >= 0]), kind="stable"))
    return np.where(codes >= 0, rank[np.maximum(codes, 0)], np.iinfo(np.int64).max)


def _pair_codes(frame: pd.DataFrame, a: str, b: str, relation: str) -> np.ndarray:
    if relation == "grid":
        codes_b = _bins(frame[b], PAIR_GRID_BINS)
        return _bins(frame[a], PAIR_GRID_BINS) * (int(codes_b.max()) + 1) + codes_b
    va = frame[a].to_numpy(dtype=float, na_value=np.nan)
    vb = frame[b].to_numpy(dtype=float, na_value=np.nan)
    return _bins(pd.Series(_transforms(va, vb)[relation]))


_RELATION_TEXT = {
    "grid": "an 8 x 8 grid of their values",
    "difference": "their difference",
    "sum": "their sum",
    "ratio": "their ratio",
}


# ---- the check ----------------------------------------------------------------------------------


@check("target_leakage")
def target_leakage(inp: AuditInput) -> list[Finding]:
    """A column, its missingness, or a pair of columns that predicts the target almost perfectly."""
    train = inp.train
    if len(train) > LEAK_SAMPLE_ROWS:
        train = train.sample(LEAK_SAMPLE_ROWS, random_state=inp.seed)
    y = train[inp.target].to_numpy()
    if inp.task != "regression":
        _, counts = np.unique(y, return_counts=True)
        if counts.min() < 5:
            return []
    score_name = _SCORE_NAME[inp.task]
    out: list[Finding] = []
    solo: dict[str, Estimate] = {}
    for col in inp.features:
        x = train[col]
        candidates = [(x, f"{col!r} alone", f"drop `{col}` if it is recorded after the outcome")]
        if x.isna().any() and not x.isna().all():
            candidates.append(
                (
                    x.isna(),
                    f"whether {col!r} is missing",
                    f"find out why `{col}` is missing; drop its missingness signal",
                )
            )
        for values, what, fix in candidates:
            est = _histogram_score(_bins(values), y, inp.task, inp.seed)
            if values is x:
                solo[col] = est
            severity = _severity(est)
            if severity is None:
                continue
            out.append(
                Finding(
                    "target_leakage",
                    severity,  # type: ignore[arg-type]
                    f"{what} predicts {inp.target!r} almost perfectly: out-of-fold {score_name} "
                    "of a 32-bin histogram model of that one column",
                    len(train),
                    len(train),
                    "training rows scored",
                    fix,
                    score=est,
                )
            )
    out += _pair_findings(inp, train, y, solo)
    return out


def _pair_findings(
    inp: AuditInput, train: pd.DataFrame, y: np.ndarray, solo: dict[str, Estimate]
) -> list[Finding]:
    """Pairs that predict the target almost perfectly where neither column does on its own."""
    quiet = [c for c in solo if _severity(solo[c]) is None and not train[c].isna().all()]
    cols = sorted(quiet, key=lambda c: -solo[c].value)[:PAIR_MAX_COLUMNS]
    if len(cols) < 2:
        return []
    screen = train.iloc[:PAIR_SAMPLE_ROWS]  # the sample is already shuffled
    ys = screen[inp.target].to_numpy()
    ys = ys.astype(float) if inp.task == "regression" else np.unique(ys, return_inverse=True)[1]
    best: dict[tuple[str, str], tuple[Estimate, str]] = {}
    for a, b, relation in _screen_pairs(screen, cols, ys, inp.task):
        est = _histogram_score(_pair_codes(train, a, b, relation), y, inp.task, inp.seed)
        alone = max(solo[a].value, solo[b].value)
        # many pairs are tried: only an error-level score, clearly above either column alone, counts
        if _severity(est) != "error" or est.low <= alone:
            continue
        if (a, b) not in best or est.value > best[a, b][0].value:
            best[a, b] = (est, relation)
    ranked = sorted(best.items(), key=lambda kv: -kv[1][0].value)[:PAIR_MAX_FINDINGS]
    score_name = _SCORE_NAME[inp.task]
    return [
        Finding(
            "target_leakage",
            _severity(est),  # type: ignore[arg-type]
            f"{a!r} and {b!r} together ({_RELATION_TEXT[relation]}) predict {inp.target!r} almost "
            f"perfectly: out-of-fold {score_name} of a histogram model, though neither does alone "
            f"(the better alone: {max(solo[a], solo[b], key=lambda e: e.value).format()})",
            len(train),
            len(train),
            "training rows scored",
            f"find out how `{a}` and `{b}` are recorded: one may be computed from the outcome",
            score=est,
        )
        for (a, b), (est, relation) in ranked
    ]
