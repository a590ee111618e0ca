"""How unusual a row is compared with the rows a model was trained on: the novelty profile fitted
at registration and used by ``candor serve`` to route out-of-distribution inputs to review.

Two views, both plain JSON (no pickle, nothing to trust on load):

- **per column**: a number outside the range training saw (with a small margin), or a category
  training never saw, is named in the reason;
- **the row as a whole**: the Mahalanobis distance of its standardised numbers from the training
  centre, under a shrunk covariance (Ledoit-Wolf, so a few hundred rows and many correlated
  columns still give a stable inverse). The score is the share of *held-out* training rows that
  are closer: 0.995 means "more unusual than 99.5% of rows like the training data". The distances
  are calibrated on rows the covariance was not fitted on, so the score of an ordinary row is
  uniform on [0, 1] and a threshold of 0.99 routes about 1% of in-distribution traffic.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

NOVELTY_FILE = "novelty.json"
#: categories kept per column (a column with more distinct values is not checked for unseen ones)
MAX_CATEGORIES = 1000
#: a number this many inter-quantile ranges beyond training's extremes is "outside"
RANGE_MARGIN = 0.05


@dataclass(frozen=True, slots=True)
class Novelty:
    """One row's novelty: the score (share of held-out training rows more usual) and why."""

    score: float
    reasons: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "reasons": list(self.reasons)}


@dataclass(slots=True)
class _Scored:
    score: float
    reasons: list[str]

    def done(self) -> Novelty:
        return Novelty(1.0 if self.reasons else float(self.score), tuple(self.reasons))


@dataclass(frozen=True)
class NoveltyProfile:
    """What training looked like, enough to score a new row (see the module's docstring)."""

    numeric: list[str]
    centre: list[float]  # medians (also the value a missing number is taken as)
    scale: list[float]  # standard deviations after centring (1 where constant)
    precision: list[list[float]]  # inverse of the shrunk covariance of the standardised numbers
    lows: list[float]
    highs: list[float]
    calibration: list[float]  # sorted distances of the held-out training rows
    categories: dict[str, list[str]]
    n_fit: int
    #: a regression's prediction intervals by novelty band (see :func:`conformal_bands`)
    conformal: dict[str, Any] | None = None

    # -- fitting ---------------------------------------------------------------------------------
    @classmethod
    def fit(cls, X: pd.DataFrame, *, seed: int = 0) -> NoveltyProfile:
        """Fit on training rows ``X`` (the model's input columns): covariance on one half,
        calibration on the other.

        >>> rng = np.random.default_rng(0)
        >>> X = pd.DataFrame(rng.normal(size=(400, 3)), columns=["a", "b", "c"])
        >>> p = NoveltyProfile.fit(X)
        >>> p.score(pd.DataFrame({"a": [0.0, 9.0], "b": [0.0, 0.0], "c": [0.0, 0.0]}))[1].score
        1.0
        """
        numeric = [str(c) for c in X.columns if pd.api.types.is_numeric_dtype(X[c])]
        categorical = [str(c) for c in X.columns if str(c) not in numeric]
        categories: dict[str, list[str]] = {}
        for c in categorical:
            seen = X[c].dropna().astype(str).unique()
            if len(seen) <= MAX_CATEGORIES:
                categories[c] = sorted(seen.tolist())
        values = X[numeric].to_numpy(dtype=float) if numeric else np.empty((len(X), 0))
        with np.errstate(all="ignore"):
            centre = np.nanmedian(values, axis=0) if len(values) else np.zeros(len(numeric))
        centre = np.where(np.isfinite(centre), centre, 0.0)
        filled = np.where(np.isnan(values), centre, values)
        scale = filled.std(axis=0) if len(filled) else np.ones(len(numeric))
        scale = np.where(scale > 0, scale, 1.0)
        z = (filled - centre) / scale
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(z))
        half = len(z) // 2
        fit_rows, cal_rows = z[order[:half]], z[order[half:]]
        precision = _shrunk_precision(fit_rows) if numeric else np.zeros((0, 0))
        calibration = np.sort(_distances(cal_rows, precision)) if numeric else np.zeros(0)
        lows = np.nanmin(values, axis=0) if len(values) else np.zeros(len(numeric))
        highs = np.nanmax(values, axis=0) if len(values) else np.zeros(len(numeric))
        return cls(
            numeric,
            centre.tolist(),
            scale.tolist(),
            precision.tolist(),
            np.nan_to_num(lows).tolist(),
            np.nan_to_num(highs).tolist(),
            calibration.tolist(),
            categories,
            len(X),
        )

    # -- scoring ---------------------------------------------------------------------------------
    def score(self, frame: pd.DataFrame) -> list[Novelty]:
        """The novelty of each row of ``frame`` (the model's input columns)."""
        values = frame[self.numeric].to_numpy(dtype=float) if self.numeric else None
        absent = frame.isna().sum(axis=1).to_numpy() if len(frame.columns) else None
        out = self._score(len(frame), values, absent, len(frame.columns))
        for c, seen in self.categories.items():
            known = set(seen)
            for i, v in enumerate(frame[c].tolist()):
                missing = v is None or (isinstance(v, float) and math.isnan(v))
                if not missing and str(v) not in known:
                    out[i].reasons.append(f"{c} = {str(v)[:40]!r} was never seen in training")
        return [o.done() for o in out]

    def score_matrix(self, values: np.ndarray, columns: list[str]) -> list[Novelty] | None:
        """``score`` for rows of numbers already in one float matrix (NaN for missing), its
        columns named by ``columns``; None when the profile also checks categories."""
        if self.categories:
            return None
        where = {c: j for j, c in enumerate(columns)}
        numeric = values[:, [where[c] for c in self.numeric]] if self.numeric else None
        absent = np.isnan(values).sum(axis=1) if values.shape[1] else None
        return [o.done() for o in self._score(len(values), numeric, absent, values.shape[1])]

    def _score(
        self, n: int, values: np.ndarray | None, absent: np.ndarray | None, n_columns: int
    ) -> list[_Scored]:
        out = [_Scored(0.0, []) for _ in range(n)]
        if values is not None:
            centre, scale, lows, highs, precision, cal = self._arrays()
            margin = RANGE_MARGIN * (highs - lows)
            below, above = values < lows - margin, values > highs + margin
            for i, j in zip(*np.nonzero(below | above), strict=True):
                side, bound = ("below", lows[j]) if below[i, j] else ("above", highs[j])
                edge = "min" if side == "below" else "max"
                out[i].reasons.append(
                    f"{self.numeric[j]} = {values[i, j]:.4g} is {side} anything in training "
                    f"({edge} {bound:.4g})"
                )
            z = (np.where(np.isnan(values), centre, values) - centre) / scale
            d = _distances(z, precision)
            scores = np.searchsorted(cal, d, side="left") / max(len(cal), 1)
            for o, sc in zip(out, scores.tolist(), strict=True):
                o.score = sc
        if absent is not None:  # a row mostly missing is not one the model has evidence for
            for i, k in enumerate(absent.tolist()):
                if k > n_columns / 2:
                    out[i].reasons.append(f"{k} of {n_columns} inputs are missing")
        return out

    def _arrays(self) -> tuple[np.ndarray, ...]:
        """The profile's lists as arrays, made once (serving scores every request with them)."""
        cached = self.__dict__.get("_cached_arrays")
        if cached is None:
            cached = tuple(
                np.asarray(v, dtype=float)
                for v in (
                    self.centre,
                    self.scale,
                    self.lows,
                    self.highs,
                    self.precision,
                    self.calibration,
                )
            )
            object.__setattr__(self, "_cached_arrays", cached)
        return cached

    # -- storage ---------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "numeric": self.numeric,
            "centre": self.centre,
            "scale": self.scale,
            "precision": self.precision,
            "lows": self.lows,
            "highs": self.highs,
            "calibration": self.calibration,
            "categories": self.categories,
            "n_fit": self.n_fit,
            "method": "Mahalanobis distance (Ledoit-Wolf) calibrated on held-out training rows",
            "conformal": self.conformal,
        }

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NoveltyProfile:
        return cls(
            list(d["numeric"]),
            list(d["centre"]),
            list(d["scale"]),
            [list(r) for r in d["precision"]],
            list(d["lows"]),
            list(d["highs"]),
            list(d["calibration"]),
            {k: list(v) for k, v in d["categories"].items()},
            int(d["n_fit"]),
            d.get("conformal"),
        )

    def with_conformal(self, bands: dict[str, Any]) -> NoveltyProfile:
        return dataclasses.replace(self, conformal=bands)

    def half_widths(self, novelty: list[Novelty]) -> list[float] | None:
        """Each row's prediction-interval half-width (regression with bands only)."""
        if self.conformal is None:
            return None
        edges = np.asarray(self.conformal["edges"], dtype=float)
        widths = np.asarray(self.conformal["half_widths"], dtype=float)
        band = np.searchsorted(edges, [n.score for n in novelty], side="right")
        return [float(widths[b]) for b in band]


def conformal_bands(
    residuals: np.ndarray, novelty: np.ndarray, *, level: float = 0.9, bands: int = 3
) -> dict[str, Any]:
    """Split-conformal prediction intervals for a regression, one width per novelty band
    (a Mondrian conformal predictor): held-out rows are cut into ``bands`` groups by their
    novelty score, and each group's half-width is the conformal quantile of its absolute
    residuals, so an unusual row gets the wider interval that rows like it earned. Each band
    keeps at least 30 rows (fewer bands on small test sets).

    >>> rng = np.random.default_rng(0)
    >>> nov = rng.uniform(size=3000)
    >>> res = rng.normal(size=3000) * (1 + 2 * nov)  # harder rows further out
    >>> b = conformal_bands(res, nov)
    >>> b["half_widths"][0] < b["half_widths"][-1], len(b["half_widths"])
    (True, 3)
    """
    r = np.abs(np.asarray(residuals, dtype=float))
    nov = np.asarray(novelty, dtype=float)
    k = int(max(1, min(bands, len(r) // 30)))
    edges = np.quantile(nov, np.linspace(0, 1, k + 1)[1:-1]) if k > 1 else np.array([])
    band = np.searchsorted(edges, nov, side="right")
    widths, counts = [], []
    for b in range(k):
        rb = np.sort(r[band == b])
        n = len(rb)
        rank = math.ceil((n + 1) * level)  # the conformal quantile's rank (1-based)
        widths.append(float(rb[min(rank, n) - 1]) if n else float("inf"))
        counts.append(n)
    return {
        "level": level,
        "edges": edges.tolist(),
        "half_widths": widths,
        "n": counts,
        "method": "split conformal by novelty band (Mondrian), on the held-out rows",
    }


def _shrunk_precision(z: np.ndarray) -> np.ndarray:
    from sklearn.covariance import LedoitWolf

    if len(z) < 2:
        return np.eye(z.shape[1])
    cov = LedoitWolf(assume_centered=False).fit(z).covariance_
    return np.asarray(np.linalg.pinv(cov))


def _distances(z: np.ndarray, precision: np.ndarray) -> np.ndarray:
    if z.shape[1] == 0:
        return np.zeros(len(z))
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", z, precision, z), 0.0))
