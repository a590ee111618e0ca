"""Split shift by adversarial validation: can a classifier tell training rows from test rows?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from candor.audit._checks import AuditInput, check
from candor.audit._findings import Finding, Severity

#: rows per side used to train the discriminator
SHIFT_SAMPLE_ROWS = 10_000
#: an AUC whose lower bound exceeds this means the two splits are easy to tell apart
SHIFT_WARNING_LOW = 0.6


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            out[col] = s.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s.astype("int64").astype("float64")
        else:
            out[col] = pd.Series(pd.Categorical(s.astype(str)).codes, index=s.index).astype(
                "float64"
            )
    return pd.DataFrame(out)


@check("split_shift")
def split_shift(inp: AuditInput) -> list[Finding]:
    """Adversarial validation: out-of-fold ROC AUC of a classifier told to separate train from test."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict

    from candor.stats import delong_interval

    feats = [c for c in inp.features if c != inp.time]
    if not feats or len(inp.test) < 20:
        return []
    rng = np.random.default_rng(inp.seed)
    tr = inp.train.iloc[rng.permutation(len(inp.train))[:SHIFT_SAMPLE_ROWS]]
    te = inp.test.iloc[rng.permutation(len(inp.test))[:SHIFT_SAMPLE_ROWS]]
    both = _numeric(pd.concat([tr[feats], te[feats]], ignore_index=True))
    both = both.loc[:, both.notna().any() & (both.nunique() > 1)]  # empty or constant: no signal
    if both.shape[1] == 0:
        return []
    feats = list(both.columns)
    is_test = np.r_[np.zeros(len(tr)), np.ones(len(te))]
    model = HistGradientBoostingClassifier(max_iter=100, random_state=inp.seed)
    proba = cross_val_predict(model, both.to_numpy(), is_test, cv=5, method="predict_proba")[:, 1]
    est = delong_interval(is_test, proba)
    if est.low <= 0.5:
        return []
    # which columns make it easy: each column's own train-vs-test AUC, folded around 0.5
    solo = {}
    for col in feats:
        x = both[col].fillna(both[col].min() - 1).to_numpy()
        solo[col] = abs(float(roc_auc_score(is_test, x)) - 0.5) + 0.5
    top = sorted(solo.items(), key=lambda kv: -kv[1])[:5]
    severity: Severity = "warning" if est.low > SHIFT_WARNING_LOW else "info"
    return [
        Finding(
            "split_shift",
            severity,
            "A classifier can tell test rows from training rows (adversarial validation, "
            "out-of-fold ROC AUC; 0.5 means indistinguishable); columns that separate them most: "
            + ", ".join(f"{c} ({a:.2f})" for c, a in top),
            len(te),
            len(te),
            "test rows sampled",
            "if the split is random, check how the test set was drawn; if it is by time, expect the "
            "model to face this shift in production",
            tuple({"column": c, "solo_auc": round(a, 4)} for c, a in top),
            est,
        )
    ]
