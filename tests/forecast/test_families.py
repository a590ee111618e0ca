"""Each learning-curve family, fitted to its own noise-free curve, recovers it; fits stay below the
metric's best value and never bend downwards."""

from __future__ import annotations

import numpy as np
import pytest

from candor.forecast import FAMILIES
from candor.forecast._fit import fit_family

SIZES = np.geomspace(40, 640, 9)
X = SIZES / SIZES[-1]
SE = np.full(len(X), 1e-3)

#: shape parameters, plateau and offset of a realistic curve (scores between 0.4 and 0.9)
TRUTH: dict[str, tuple[np.ndarray, float, float]] = {
    "pow3": (np.array([0.6]), 0.90, 0.08),
    "pow4": (np.array([0.7, 1.0]), 0.90, 0.10),
    "log_power": (np.array([-3.0, 0.8]), 0.90, 0.0),
    "mmf4": (np.array([0.3, 1.2]), 0.90, 0.40),
    "exp3": (np.array([3.0]), 0.90, 0.40),
}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_fitted_to_its_own_noise_free_curve_reproduces_and_extrapolates_it(
    name: str,
) -> None:
    assert name in TRUTH, f"family {name!r} has no known-parameter case in this test"
    fam = FAMILIES[name]
    shape, plateau, offset = TRUTH[name]
    y = fam.curve(X, shape, plateau, offset)
    fit = fit_family(fam, X, y, SE, 1.0)
    assert fit is not None
    np.testing.assert_allclose(fit(X), y, atol=1e-4)
    far = np.array([4.0])
    assert fit(far)[0] == pytest.approx(fam.curve(far, shape, plateau, offset)[0], abs=1e-3)
    assert fit.plateau == pytest.approx(plateau, abs=5e-3)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_plateau_never_exceeds_the_best_possible_value(name: str) -> None:
    # anchors still rising steeply towards 1.2, with the metric's best value at 1.0
    y = 1.2 - 0.5 * X**-0.3
    assert y.min() > 0
    fit = fit_family(FAMILIES[name], X, y, SE, 1.0)
    assert fit is not None
    assert fit.plateau <= 1.0 + 1e-12
    assert (fit(np.geomspace(X[0], 1e4, 50)) <= 1.0 + 1e-9).all()


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_fitted_to_a_falling_curve_still_rises_or_stays_flat(name: str) -> None:
    y = 0.6 + 0.05 * X**-0.5  # falls from 0.8 to 0.65 as data grows
    fit = fit_family(FAMILIES[name], X, y, SE, 1.0)
    assert fit is not None
    assert fit.offset >= 0
    grid = np.geomspace(X[0], 100.0, 200)
    assert (np.diff(fit(grid)) >= -1e-9).all()


@pytest.mark.parametrize("bad", [0.0, -0.2])
def test_log_power_refuses_non_positive_scores(bad: float) -> None:
    y = 0.9 - 0.1 * X**-0.5
    y[0] = bad
    assert fit_family(FAMILIES["log_power"], X, y, SE, 1.0) is None


def test_family_with_fewer_anchors_than_parameters_is_not_fitted() -> None:
    fam = FAMILIES["pow4"]
    assert fam.n_params == 4
    x = X[-3:]
    assert fit_family(fam, x, 0.9 - 0.1 * x**-0.5, SE[-3:], 1.0) is None
