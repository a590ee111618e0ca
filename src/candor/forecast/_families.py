"""Learning-curve families: a registry. Adding a family is adding one ``@family`` function.

Every family is written as ``f(x) = P * u(x) - B * g(x)`` where ``P`` is the plateau the curve
approaches (at most the metric's best possible value), ``B >= 0`` how far below it the curve starts,
and ``u``, ``g`` depend on one or two shape parameters. For fixed shape parameters the fit is a
linear least-squares problem in ``(P, B)`` with box bounds, solved in closed form for a whole grid
of shapes at once (variable projection); the best grid point is then refined. This keeps fitting a
curve to a few anchors fast (milliseconds) and free of the bad local minima that plain nonlinear
least squares from a single start falls into.

``x`` is the training-set size divided by the largest anchor's size, so shape parameters mean the
same thing whatever the data's size. Scores are oriented so that higher is better (losses negated).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Basis = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class Family:
    """One parametric learning-curve family."""

    name: str
    formula: str
    #: names of the shape parameters, their grid of starting values and their bounds
    shape_names: tuple[str, ...]
    grid: tuple[np.ndarray, ...]
    bounds: tuple[tuple[float, float], ...]
    #: (shape params as rows of an array, x) -> (u, g): each of shape (n_shapes, n_points); g may
    #: be None when the curve has no separate offset term (then f = P * u)
    basis: Basis
    #: the family applies only to scores that are positive (it scales towards 0 at x = 0)
    positive_only: bool = False
    #: the plateau is the metric's best value, not fitted (LCDB's pow2: the error rate falls as a
    #: power of n towards none at all); the family applies only to metrics with a best value
    at_best: bool = False

    @property
    def n_params(self) -> int:
        return len(self.shape_names) + (1 if self.positive_only or self.at_best else 2)

    def shape_grid(self) -> np.ndarray:
        """Every combination of grid values, one row per combination."""
        mesh = np.meshgrid(*self.grid, indexing="ij")
        return np.stack([m.ravel() for m in mesh], axis=1)

    def curve(self, x: np.ndarray, shape: np.ndarray, plateau: float, offset: float) -> np.ndarray:
        u, g = self.basis(np.atleast_2d(shape), np.asarray(x, dtype=float))
        out = plateau * u[0]
        if g is not None:
            out = out - offset * g[0]
        return np.asarray(out)


FAMILIES: dict[str, Family] = {}


def family(
    name: str,
    formula: str,
    shape: dict[str, tuple[np.ndarray, tuple[float, float]]],
    positive_only: bool = False,
    at_best: bool = False,
) -> Callable[[Basis], Basis]:
    """Register a learning-curve family under ``name``."""

    def register(basis: Basis) -> Basis:
        FAMILIES[name] = Family(
            name,
            formula,
            tuple(shape),
            tuple(v[0] for v in shape.values()),
            tuple(v[1] for v in shape.values()),
            basis,
            positive_only,
            at_best,
        )
        return basis

    return register


_C = np.geomspace(0.05, 3.0, 24)


@family("pow2", "best - b * n^-c", {"c": (_C, (0.01, 5.0))}, at_best=True)
def _pow2(s: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    # pow3 with its plateau pinned at the metric's best: the one family that does not level off
    # below it. On bench/forecast.py's panels the others, fitted to anchors at no more than 25%,
    # level off too soon (accuracy forecasts missed low by 0.008 on average, bench/README.md)
    return np.ones((len(s), len(x))), x[None, :] ** -s[:, :1]


@family("pow3", "a - b * n^-c", {"c": (_C, (0.01, 5.0))})
def _pow3(s: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    return np.ones((len(s), len(x))), x[None, :] ** -s[:, :1]


@family(
    "pow4",
    "a - b * (n + d)^-c",
    {
        "c": (np.geomspace(0.05, 3.0, 12), (0.01, 5.0)),
        "d": (np.array([0.0, 0.02, 0.1, 0.5]), (0.0, 10.0)),
    },
)
def _pow4(s: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    # d is in the same units as x (the largest anchor's size): a curve evaluates the same at a
    # point whatever other points are asked with it
    return np.ones((len(s), len(x))), (x[None, :] + s[:, 1:2]) ** -s[:, :1]


@family(
    "log_power",
    "a / (1 + (n / e^b)^-c)",
    {
        "b": (np.linspace(-8.0, 2.0, 16), (-20.0, 10.0)),
        "c": (np.geomspace(0.05, 3.0, 10), (0.01, 5.0)),
    },
    positive_only=True,
)
def _log_power(s: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    ratio = (x[None, :] / np.exp(s[:, :1])) ** -s[:, 1:2]
    return 1.0 / (1.0 + ratio), None


@family(
    "mmf4",
    "(a * b + c * n^d) / (b + n^d)",
    {
        "b": (np.geomspace(1e-3, 10.0, 12), (1e-6, 1e3)),
        "d": (np.geomspace(0.1, 3.0, 10), (0.01, 6.0)),
    },
)
def _mmf4(s: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    # (a b + c n^d) / (b + n^d) = c - (c - a) * b / (b + n^d): plateau c, offset c - a
    xd = x[None, :] ** s[:, 1:2]
    return np.ones((len(s), len(x))), s[:, :1] / (s[:, :1] + xd)


@family("exp3", "a - b * e^(-c n)", {"c": (np.geomspace(0.05, 30.0, 24), (1e-3, 200.0))})
def _exp3(s: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    return np.ones((len(s), len(x))), np.exp(-s[:, :1] * x[None, :])
