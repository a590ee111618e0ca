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


def _encode(train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Both tables as float32 on a common scale: numeric columns by range, text by normalised code.

    float32 halves the memory of the widest array the audit builds; its 7 digits resolve the 0.05%
    tolerance on the scaled values.
    """
    Ztr = np.empty((len(train), train.shape[1]), dtype=np.float32)
    Zte = np.empty((len(test), test.shape[1]), dtype=np.float32)
    for j, col in enumerate(train.columns):
        a, b = train[col], test[col]
        if is_numeric(a):
            fa, fb = as_float(a), as_float(b)
            finite = fa[np.isfinite(fa)]
            lo, hi = np.quantile(finite, [0.01, 0.99]) if finite.size else (0.0, 1.0)
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
    return Ztr, Zte


def _band_hashes(Q: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of an integer matrix (wrapping polynomial hash)."""
    h = np.zeros(Q.shape[0], dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(Q.shape[1]):
            h = h * np.uint64(1_000_003) ^ Q[:, j].astype(np.int64).view(np.uint64)
    return h


def candidate_pairs(
    Ztr: np.ndarray, Zte: np.ndarray, allowed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(test, train) row pairs that may be near copies: a locality-sensitive banding.

    Columns are cut into ``allowed + 1`` bands: a pair differing in at most ``allowed`` cells agrees
    exactly on at least one band (pigeonhole). Values are snapped to a grid of twice the tolerance,
    twice, half a cell apart, so that values within the tolerance share a cell in at least one grid.
    Buckets holding more than ``MAX_BUCKET`` training rows (a band of near-constant columns) say
    nothing and are skipped. Cost: linear in rows, never a distance matrix.
    """
    width = 2 * CELL_TOLERANCE
    pairs = []
    for band in np.array_split(np.arange(Ztr.shape[1]), allowed + 1):
        for offset in (0.0, 0.5):
            h_tr = _band_hashes(np.floor(Ztr[:, band] / width + offset))
            h_te = _band_hashes(np.floor(Zte[:, band] / width + offset))
            tr = pd.DataFrame({"h": h_tr, "train": np.arange(len(h_tr))})
            size = tr.groupby("h")["train"].transform("size")
            tr = tr[size <= MAX_BUCKET]
            te = pd.DataFrame({"h": h_te, "test": np.arange(len(h_te))})
            te = te[te["h"].isin(tr["h"])]
            pairs.append(te.merge(tr, on="h")[["test", "train"]])
    both = pd.concat(pairs, ignore_index=True).drop_duplicates()
    return both["test"].to_numpy(), both["train"].to_numpy()


@check("near_duplicates")
def near_duplicates(inp: AuditInput) -> list[Finding]:
    """Test rows that are copies of training rows up to rounding, case, whitespace or a few cells."""
    feats = inp.features
    if not feats:
        return []
    Ztr, Zte = _encode(inp.train[feats], inp.test[feats])
    h_train, h_test = inp.row_hashes
    exact = np.isin(h_test, h_train)
    d = Ztr.shape[1]
    allowed = int(CELLS_ALLOWED_TO_DIFFER * d)  # none below 20 columns
    t_idx, r_idx = candidate_pairs(Ztr, Zte, allowed)
    keep = ~exact[t_idx]
    t_idx, r_idx = t_idx[keep], r_idx[keep]
    agree_pairs = np.zeros(0, dtype=np.int64)
    if t_idx.size:
        agree_pairs = np.concatenate(
            [
                (np.abs(Zte[t_idx[s]] - Ztr[r_idx[s]]) <= CELL_TOLERANCE + 1e-12).sum(axis=1)
                for s in np.array_split(np.arange(t_idx.size), max(1, t_idx.size // 100_000))
            ]
        )
    ok = agree_pairs >= d - allowed
    if not ok.any():
        return []
    found = pd.DataFrame({"test": t_idx[ok], "train": r_idx[ok], "agree": agree_pairs[ok]})
    found = found.sort_values(["test", "agree"], ascending=[True, False]).drop_duplicates("test")
    n = len(found)
    examples = tuple(
        {
            "test_row": _label(inp.test.index[i]),
            "train_row": _label(inp.train.index[j]),
            "cells_differing": int(d - a),
        }
        for i, j, a in found.head(5).itertuples(index=False)
    )
    share = n / len(Zte)
    return [
        Finding(
            "near_duplicates",
            "error" if share >= 0.01 and n >= 3 else "warning",
            f"Test rows that nearly copy a training row (each cell within {CELL_TOLERANCE:.2%} of its "
            f"column's range, text compared without case or spaces, at most {allowed} of {d} cells differ)",
            n,
            len(Zte),
            "test rows",
            "deduplicate near copies before splitting (round, normalise text), or split by the source "
            "entity (`group`)",
            examples,
        )
    ]
