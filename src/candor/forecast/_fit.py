"""Fitting one learning-curve family to anchors: weighted, bounded, robust least squares."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from candor.forecast._families import Family

#: Huber's constant on standardised residuals: anchors further out than this are down-weighted
HUBER_K = 2.0
IRLS_ROUNDS = 2


@dataclass(frozen=True, slots=True)
class FamilyFit:
    """One family's fitted curve: its shape parameters, plateau and offset, and its fit quality."""

    family: Family
    shape: np.ndarray
    plateau: float
    offset: float
    #: weighted sum of squared residuals on the anchors it was fitted to
    sse: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.family.curve(np.asarray(x, dtype=float), self.shape, self.plateau, self.offset)


def _box_least_squares(
    u: np.ndarray,
    g: np.ndarray | None,
    y: np.ndarray,
    w2: np.ndarray,
    top: float,
    at_top: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row of ``u`` (and ``g``): min sum w2 (y - P u + B g)^2 with P <= top, B >= 0.

    A convex problem in two variables: the unconstrained optimum when it is feasible, else the best
    of the optima on the faces P = top and B = 0 (clipped). With ``at_top``, P is top and only B is
    fitted. Returns P, B and the weighted SSE.
    """
    suu = (w2 * u * u).sum(1)
    suy = (w2 * u * y).sum(1)
    if at_top and g is not None:
        sgg = (w2 * g * g).sum(1)
        P = np.full(len(u), top)
        B = np.maximum(
            0.0, (top * (w2 * u * g).sum(1) - (w2 * g * y).sum(1)) / np.maximum(sgg, 1e-300)
        )
    elif g is None:  # f = P u, with 0 <= P <= top
        P = np.clip(suy / np.maximum(suu, 1e-300), 0.0, top)
        B = np.zeros_like(P)
    else:
        sgg = (w2 * g * g).sum(1)
        sug = (w2 * u * g).sum(1)
        sgy = (w2 * g * y).sum(1)
        # normal equations for (P, B) in y ~ P u - B g
        det = suu * sgg - sug * sug
        ok = np.abs(det) > 1e-12 * np.maximum(suu * sgg, 1e-300)
        safe = np.where(ok, det, 1.0)
        P0 = (suy * sgg - sug * sgy) / safe
        B0 = (suy * sug - suu * sgy) / safe
        feasible = ok & (top >= P0) & (B0 >= 0)
        # face P = top: B = max(0, sum w2 g (top u - y) / sum w2 g^2)
        B1 = np.maximum(0.0, (top * sug - sgy) / np.maximum(sgg, 1e-300))
        # face B = 0: P = min(top, suy / suu)
        P2 = np.minimum(top, suy / np.maximum(suu, 1e-300))
        cands = [(np.full_like(P0, top), B1), (P2, np.zeros_like(P2))]

        def sse(P: np.ndarray, B: np.ndarray) -> np.ndarray:
            r = y - P[:, None] * u + B[:, None] * g
            return np.asarray((w2 * r * r).sum(1))

        best_P, best_B = cands[0]
        best = sse(best_P, best_B)
        for Pc, Bc in cands[1:]:
            s = sse(Pc, Bc)
            better = s < best
            best_P, best_B, best = (
                np.where(better, Pc, best_P),
                np.where(better, Bc, best_B),
                np.where(better, s, best),
            )
        P = np.where(feasible, P0, best_P)
        B = np.where(feasible, B0, best_B)
    r = y - P[:, None] * u + (0.0 if g is None else B[:, None] * g)
    return P, B, (w2 * r * r).sum(1)


def _profile(
    fam: Family, shapes: np.ndarray, x: np.ndarray, y: np.ndarray, w2: np.ndarray, top: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        u, g = fam.basis(shapes, x)
        bad = ~np.isfinite(u).all(1)
        if g is not None:
            bad |= ~np.isfinite(g).all(1)
            g = np.where(np.isfinite(g), g, 0.0)
        u = np.where(np.isfinite(u), u, 0.0)
        P, B, sse = _box_least_squares(u, g, y, w2, top, fam.at_best)
    return P, B, np.where(bad | ~np.isfinite(sse), np.inf, sse)


def _fit_weighted(
    fam: Family, x: np.ndarray, y: np.ndarray, w2: np.ndarray, top: float, refine: bool
) -> FamilyFit | None:
    grid = fam.shape_grid()
    sse = _profile(fam, grid, x, y, w2, top)[2]
    i = int(np.argmin(sse))
    if not np.isfinite(sse[i]):
        return None
    shape = grid[i]
    if refine:
        lo = np.array([b[0] for b in fam.bounds])
        hi = np.array([b[1] for b in fam.bounds])

        def objective(s: np.ndarray) -> float:
            return float(_profile(fam, s[None, :], x, y, w2, top)[2][0])

        res = minimize(
            objective,
            shape,
            method="Nelder-Mead",
            bounds=list(zip(lo, hi, strict=True)),
            options={"xatol": 1e-4, "fatol": 1e-10, "maxiter": 200 * len(shape)},
        )
        if np.isfinite(res.fun) and res.fun <= sse[i]:
            shape = np.asarray(res.x, dtype=float)
    P1, B1, sse1 = _profile(fam, shape[None, :], x, y, w2, top)
    return FamilyFit(fam, shape, float(P1[0]), float(B1[0]), float(sse1[0]))


def fit_family(
    fam: Family,
    x: np.ndarray,
    y: np.ndarray,
    se: np.ndarray,
    top: float,
    *,
    refine: bool = True,
) -> FamilyFit | None:
    """Fit ``fam`` to anchors ``(x, y)`` with standard errors ``se``, plateau at most ``top``.

    Weighted least squares (weights 1/se^2), made robust by iteratively re-weighting anchors whose
    standardised residual exceeds ``HUBER_K`` (Huber's weights). Returns None when no shape on the
    grid gives a finite fit, when there are fewer anchors than parameters, or when the family levels
    off at the metric's best value and the metric has none.
    """
    x, y, se = (np.asarray(a, dtype=float) for a in (x, y, se))
    if len(x) < fam.n_params or (fam.positive_only and (y <= 0).any()):
        return None
    if fam.at_best and not np.isfinite(top):  # no best value to level off at
        return None
    base = 1.0 / np.square(se)
    w2 = base
    fit = _fit_weighted(fam, x, y, w2, top, refine=False)
    for _ in range(IRLS_ROUNDS):
        if fit is None:
            return None
        z = np.abs(y - fit(x)) / se
        huber = np.where(z <= HUBER_K, 1.0, HUBER_K / np.maximum(z, 1e-12))
        w2 = base * huber
        fit = _fit_weighted(fam, x, y, w2, top, refine=False)
    if fit is None or not refine:
        return fit
    return _fit_weighted(fam, x, y, w2, top, refine=True)
