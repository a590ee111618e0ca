"""Near duplicates across the split: rows equal up to rounding, case, whitespace, jitter or a few cells.

Candidates come from locality-sensitive banding (linear in rows: no n×m distance matrix, no tree
search that degrades in 50 dimensions); each candidate pair is then verified cell by cell, so that a
few changed pixels (which move a row far in Euclidean terms) still count as a copy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from candor.audit._checks import AuditInput, _label, as_float, check, factorize_text, is_numeric
from candor.audit._findings import Finding

#: two cells are equal when they differ by at most this share of the column's 1-99% range
CELL_TOLERANCE = 0.0005
#: a pair still counts as a copy when at most this share of its cells differ (rounded down)
CELLS_ALLOWED_TO_DIFFER = 0.05
#: ... but at least this many from this many columns on
MIN_CELLS_ALLOWED, MIN_COLUMNS_FOR_ALLOWED = 2, 20


def allowed_cells(d: int) -> int:
    """How many of ``d`` cells may differ in a near copy.

    >>> [allowed_cells(d) for d in (10, 19, 20, 31, 64)]
    [0, 0, 2, 2, 3]
    """
    if d < MIN_COLUMNS_FOR_ALLOWED:
        return 0
    return max(MIN_CELLS_ALLOWED, int(CELLS_ALLOWED_TO_DIFFER * d))


#: a band bucket with more training rows than this is a near-constant band: no evidence
MAX_BUCKET = 50


def _text_codes(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Shared codes for two text columns after stripping spaces and case; -1 for missing values.

    The normalisation runs on the distinct values only, so a million rows with twenty categories
    cost twenty string operations.
    """
    ca, ua = factorize_text(a)
    cb, ub = factorize_text(b)
    norm = ua.append(ub).str.strip().str.casefold()
    shared, _ = pd.factorize(norm)
    return (
        np.where(ca < 0, -1, shared[: len(ua)][ca]),
        np.where(cb < 0, -1, shared[len(ua) :][cb]),
    )


def _encode(
    train: pd.DataFrame, test: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, dict[int, float]]:
    """Both tables as float32 on a common scale: numeric columns by range, text by normalised code.

    float32 halves the memory of the widest array the audit builds; its 7 digits resolve the 0.05%
    tolerance on the scaled values. Column-major, so that a band of columns is one block. Also
    returns each numeric column's magnitude (the larger absolute 1% or 99% quantile).
    """
    Ztr = np.empty((len(train), train.shape[1]), dtype=np.float32, order="F")
    Zte = np.empty((len(test), test.shape[1]), dtype=np.float32, order="F")
    magnitude: dict[int, float] = {}
    for j, col in enumerate(train.columns):
        a, b = train[col], test[col]
        if is_numeric(a):
            fa, fb = as_float(a), as_float(b)
            finite = fa[np.isfinite(fa)]
            lo, hi = np.quantile(finite, [0.01, 0.99]) if finite.size else (0.0, 1.0)
            if finite.size and max(abs(lo), abs(hi)) > 0:
                # a column with no values (or only zeros) says nothing about a row's scale: an
                # all-missing column must not count as a third number agreeing on the factor
                magnitude[j] = float(max(abs(lo), abs(hi)))
            if hi <= lo and finite.size:  # mostly one value: fall back to the full range
                lo, hi = finite.min(), finite.max()
            scale = hi - lo if hi > lo else 1.0
            # missing values sit far below every observed value: equal to each other only
            Ztr[:, j] = np.where(np.isnan(fa), -100.0, (fa - lo) / scale)
            Zte[:, j] = np.where(np.isnan(fb), -100.0, (fb - lo) / scale)
        else:
            code_a, code_b = _text_codes(a, b)
            Ztr[:, j] = code_a * 10.0  # different text: far apart; missing text at -10
            Zte[:, j] = code_b * 10.0
    return Ztr, Zte, magnitude


def _band_hashes(Z: np.ndarray, width: float, offset: float) -> np.ndarray:
    """One 64-bit hash per row of a band: its cells snapped to a grid, combined in column order."""
    h = np.zeros(Z.shape[0], dtype=np.uint64)
    cell = np.empty(Z.shape[0], dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        for j in range(Z.shape[1]):
            np.floor(np.divide(Z[:, j], width, out=cell) + offset, out=cell)
            h = h * np.uint64(1_000_003) ^ cell.astype(np.int64).view(np.uint64)
    return h


def _shared_buckets(h_tr: np.ndarray, h_te: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (test, train) pair with equal hashes, skipping buckets of over MAX_BUCKET train rows."""
    codes, uniques = pd.factorize(np.concatenate([h_tr, h_te]))
    c_tr, c_te = codes[: len(h_tr)], codes[len(h_tr) :]
    count = np.bincount(c_tr, minlength=len(uniques))
    wanted = np.zeros(len(uniques), dtype=bool)
    wanted[c_te] = True
    wanted &= (count > 0) & (count <= MAX_BUCKET)
    tr_rows = np.flatnonzero(wanted[c_tr])  # usually few: the copies and chance neighbours
    tr_rows = tr_rows[np.argsort(c_tr[tr_rows], kind="stable")]
    te_rows = np.flatnonzero(wanted[c_te])
    start = np.searchsorted(c_tr[tr_rows], c_te[te_rows])
    k = count[c_te[te_rows]]
    within = np.arange(int(k.sum())) - np.repeat(np.cumsum(k) - k, k)
    return np.repeat(te_rows, k), tr_rows[np.repeat(start, k) + within]


def _per_band_directions(block: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """A band's numeric cells divided by their own norm (text cells kept; missing cells far below).

    Normalising each band on its own keeps the pigeonhole of the banding: a row scaled by one
    factor, except for a few cells, still points the same way on every band free of those cells.
    """
    out = np.array(block, dtype=np.float32)
    cells = out[:, numeric]
    norm = np.sqrt(np.nansum(cells.astype(np.float64) ** 2, axis=1))
    cells /= np.where(norm > 0, norm, 1.0)[:, None].astype(np.float32)
    out[:, numeric] = np.where(np.isnan(cells), -100.0, cells)
    return out


def candidate_pairs(
    Ztr: np.ndarray, Zte: np.ndarray, allowed: int, scale_free: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(test, train) row pairs that may be near copies: a locality-sensitive banding.

    Columns are cut into ``allowed + 1`` bands: a pair differing in at most ``allowed`` cells agrees
    exactly on at least one band (pigeonhole). Values are snapped to a grid of twice the tolerance,
    twice, half a cell apart, so that values within the tolerance share a cell in at least one grid.
    Buckets holding more than ``MAX_BUCKET`` training rows (a band of near-constant columns) say
    nothing and are skipped. Cost: linear in rows, never a distance matrix. With ``scale_free`` (a
    mask of numeric columns), each band's numeric cells are compared as a direction, so that a row
    scaled by one factor lands in the bucket of its original.
    """
    width = 2 * CELL_TOLERANCE
    tests, trains = [], []
    for band in np.array_split(np.arange(Ztr.shape[1]), allowed + 1):
        cols = slice(int(band[0]), int(band[-1]) + 1)
        btr, bte = Ztr[:, cols], Zte[:, cols]
        if scale_free is not None:
            if not scale_free[cols].any():
                continue  # text only: the first pass has compared these cells already
            btr = _per_band_directions(btr, scale_free[cols])
            bte = _per_band_directions(bte, scale_free[cols])
        for offset in (0.0, 0.5):
            t, r = _shared_buckets(
                _band_hashes(btr, width, offset), _band_hashes(bte, width, offset)
            )
            tests.append(t)
            trains.append(r)
    both = pd.DataFrame(
        {
            "test": np.concatenate(tests or [np.zeros(0, np.int64)]),
            "train": np.concatenate(trains or [np.zeros(0, np.int64)]),
        }
    )
    both = both.drop_duplicates()
    return both["test"].to_numpy(), both["train"].to_numpy()


#: a whole row scaled by one factor is looked for only when at least this many numeric columns
#: would agree on the factor (with fewer, unrelated rows point the same way too often)
MIN_COLUMNS_FOR_SCALING = 3


def _magnitudes(Z: np.ndarray, frame: pd.DataFrame, magnitude: dict[int, float]) -> np.ndarray:
    """``Z`` with each numeric column replaced by its raw values over its magnitude (NaN kept).

    Unlike ``Z``'s ranges, this keeps zero at zero, so a row scaled by one factor stays so.
    """
    D = np.array(Z, dtype=np.float32, order="F")
    for j, m in magnitude.items():
        D[:, j] = as_float(frame.iloc[:, j]) / m
    return D


def _pairs_chunked(t_idx: np.ndarray) -> list[np.ndarray]:
    return np.array_split(np.arange(t_idx.size), max(1, t_idx.size // 100_000))


def _best_per_test_row(
    t_idx: np.ndarray, r_idx: np.ndarray, agree: np.ndarray, need: int, **extra: np.ndarray
) -> pd.DataFrame:
    ok = agree >= need
    found = pd.DataFrame(
        {
            "test": t_idx[ok],
            "train": r_idx[ok],
            "agree": agree[ok],
            **{k: v[ok] for k, v in extra.items()},
        }
    )
    return found.sort_values(["test", "agree"], ascending=[True, False]).drop_duplicates("test")


def _verified(Ztr: np.ndarray, Zte: np.ndarray, allowed: int, skip: np.ndarray) -> pd.DataFrame:
    """Candidate pairs confirmed cell by cell: (test, train, cells that agree), best train row each."""
    t_idx, r_idx = candidate_pairs(Ztr, Zte, allowed)
    keep = ~skip[t_idx]
    t_idx, r_idx = t_idx[keep], r_idx[keep]
    agree = np.zeros(0, dtype=np.int64)
    if t_idx.size:
        agree = np.concatenate(
            [
                (np.abs(Zte[t_idx[s]] - Ztr[r_idx[s]]) <= CELL_TOLERANCE + 1e-12).sum(axis=1)
                for s in _pairs_chunked(t_idx)
            ]
        )
    return _best_per_test_row(t_idx, r_idx, agree, Ztr.shape[1] - allowed)


def _verified_scaled(
    Dtr: np.ndarray, Dte: np.ndarray, numeric: np.ndarray, allowed: int, skip: np.ndarray
) -> pd.DataFrame:
    """Pairs where the test row is the training row times one factor, but for ``allowed`` cells.

    The factor of a pair is the median ratio of its nonzero numeric cells (robust to the cells that
    differ); a numeric cell agrees when it is within the tolerance of the factor times the original.
    """
    t_idx, r_idx = candidate_pairs(Dtr, Dte, allowed, scale_free=numeric)
    keep = ~skip[t_idx]
    t_idx, r_idx = t_idx[keep], r_idx[keep]
    agree = np.zeros(0, dtype=np.int64)
    factor = np.zeros(0)
    parts = []
    for s in _pairs_chunked(t_idx):
        if not s.size:
            continue
        A, B = Dte[t_idx[s]].astype(np.float64), Dtr[r_idx[s]].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where((B != 0) & (A != 0), A / B, np.nan)[:, numeric]
            c = np.nanmedian(np.where(np.isfinite(ratio), ratio, np.nan), axis=1)
        An, Bn = A[:, numeric], B[:, numeric] * c[:, None]
        both_missing = np.isnan(An) & np.isnan(Bn)
        num_ok = (np.abs(An - Bn) <= CELL_TOLERANCE * np.abs(c)[:, None] + 1e-12) | both_missing
        text_ok = np.abs(A[:, ~numeric] - B[:, ~numeric]) <= CELL_TOLERANCE + 1e-12
        parts.append((num_ok.sum(axis=1) + text_ok.sum(axis=1), c))
    if parts:
        agree = np.concatenate([a for a, _ in parts])
        factor = np.concatenate([c for _, c in parts])
        agree = np.where(np.isfinite(factor) & (factor != 0), agree, 0)
    return _best_per_test_row(t_idx, r_idx, agree, Dtr.shape[1] - allowed, scale=factor)


@check("near_duplicates")
def near_duplicates(inp: AuditInput) -> list[Finding]:
    """Test rows that copy a training row up to rounding, case, whitespace, a few cells or a scale."""
    feats = inp.features
    if not feats:
        return []
    Ztr, Zte, magnitude = _encode(inp.train[feats], inp.test[feats])
    h_train, h_test = inp.row_hashes
    exact = np.isin(h_test, h_train)
    d = Ztr.shape[1]
    allowed = allowed_cells(d)
    found = _verified(Ztr, Zte, allowed, exact).assign(scale=1.0)
    # the factor must be confirmed by that many numeric cells even when ``allowed`` cells differ
    if len(magnitude) - allowed >= MIN_COLUMNS_FOR_SCALING:
        # the same search on directions: a row scaled by one factor (a change of units, a brighter
        # image), but for at most ``allowed`` cells
        numeric = np.zeros(d, dtype=bool)
        numeric[list(magnitude)] = True
        Dtr = _magnitudes(Ztr, inp.train[feats], magnitude)
        del Ztr  # the widest arrays: keep two of them alive, not four
        Dte = _magnitudes(Zte, inp.test[feats], magnitude)
        skip = exact.copy()
        skip[found["test"].to_numpy()] = True
        scaled = _verified_scaled(Dtr, Dte, numeric, allowed, skip)
        found = pd.concat([found, scaled], ignore_index=True)
    if found.empty:
        return []
    n = len(found)
    examples = tuple(
        {
            "test_row": _label(inp.test.index[i]),
            "train_row": _label(inp.train.index[j]),
            "cells_differing": int(d - a),
            **({} if abs(k - 1) < 1e-9 else {"scaled_by": float(f"{k:.4g}")}),
        }
        for i, j, a, k in found.head(5).itertuples(index=False)
    )
    share = n / len(Zte)
    return [
        Finding(
            "near_duplicates",
            "error" if share >= 0.01 and n >= 3 else "warning",
            f"Test rows that nearly copy a training row (each cell within {CELL_TOLERANCE:.2%} of its "
            f"column's range, text compared without case or spaces, at most {allowed} of {d} cells "
            "differ; or the whole row scaled by one factor)",
            n,
            len(Zte),
            "test rows",
            "deduplicate near copies before splitting (round, normalise text), or split by the source "
            "entity (`group`)",
            examples,
        )
    ]
