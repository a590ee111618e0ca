"""Near duplicates across the split: rows equal up to rounding, case, whitespace, jitter or a few cells.

Candidates come from a nearest-neighbour index over the training rows (scikit-learn's tree-based
search: no n×m distance matrix); each candidate pair is then verified cell by cell, so that a few
changed pixels (which move a row far in Euclidean terms) still count as a copy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from candor.audit._checks import AuditInput, _label, _row_hashes, check
from candor.audit._findings import Finding

#: two cells are equal when they differ by at most this share of the column's 1-99% range
CELL_TOLERANCE = 0.0005
#: a pair still counts as a copy when at most this share of its cells differ (rounded down)
CELLS_ALLOWED_TO_DIFFER = 0.05
_NEIGHBOURS = 10


def _encode(train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Both tables as numbers on a common scale: numeric columns by range, text by normalised code."""
    cols_tr, cols_te = [], []
    for col in train.columns:
        a, b = train[col], test[col]
        if pd.api.types.is_numeric_dtype(a) or pd.api.types.is_bool_dtype(a):
            fa, fb = a.astype("float64").to_numpy(), b.astype("float64").to_numpy()
            finite = fa[np.isfinite(fa)]
            lo, hi = np.quantile(finite, [0.01, 0.99]) if finite.size else (0.0, 1.0)
            if hi <= lo and finite.size:  # mostly one value: fall back to the full range
                lo, hi = finite.min(), finite.max()
            scale = hi - lo if hi > lo else 1.0
            # missing values sit far below every observed value: equal to each other only
            cols_tr.append(np.where(np.isnan(fa), -100.0, (fa - lo) / scale))
            cols_te.append(np.where(np.isnan(fb), -100.0, (fb - lo) / scale))
        else:
            norm = pd.concat([a, b], ignore_index=True).astype(str).str.strip().str.casefold()
            codes = pd.Categorical(norm).codes.astype(float) * 10.0  # different text: far apart
            cols_tr.append(codes[: len(a)])
            cols_te.append(codes[len(a) :])
    return np.column_stack(cols_tr), np.column_stack(cols_te)


@check("near_duplicates")
def near_duplicates(inp: AuditInput) -> list[Finding]:
    """Test rows that are copies of training rows up to rounding, case, whitespace or a few cells."""
    from sklearn.neighbors import NearestNeighbors

    feats = inp.features
    if not feats:
        return []
    Ztr, Zte = _encode(inp.train[feats], inp.test[feats])
    exact = np.isin(_row_hashes(inp.test[feats]), _row_hashes(inp.train[feats]))
    d = Ztr.shape[1]
    allowed = int(CELLS_ALLOWED_TO_DIFFER * d)  # none below 20 columns
    k = min(_NEIGHBOURS, len(Ztr))
    _, idx = NearestNeighbors(n_neighbors=k).fit(Ztr).kneighbors(Zte)
    close = np.abs(Zte[:, None, :] - Ztr[idx]) <= CELL_TOLERANCE + 1e-12  # (n_test, k, d)
    n_close = close.sum(axis=2)
    best = np.argmax(n_close, axis=1)
    agree = n_close[np.arange(len(Zte)), best]
    near = (agree >= d - allowed) & ~exact
    n = int(near.sum())
    if n == 0:
        return []
    rows = np.flatnonzero(near)
    partner = idx[rows, best[rows]]
    examples = tuple(
        {
            "test_row": _label(inp.test.index[i]),
            "train_row": _label(inp.train.index[j]),
            "cells_differing": int(d - agree[i]),
        }
        for i, j in zip(rows[:5], partner[:5], strict=True)
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
