"""Each learning-curve family, fitted to its own noise-free curve, recovers it; fits stay below the
metric's best value and never bend downwards."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from candor.forecast import FAMILIES
from candor.forecast._fit import fit_family

SIZES = np.geomspace(40, 640, 9)
X = SIZES / SIZES[-1]
X_MIN = float(X[0])
SE = np.full(len(X), 1e-3)

#: the families' formulas written out independently of the library, with known parameters for a
#: realistic curve (scores between about 0.4 and 0.9); x is rows / largest anchor, and pow4's d is
#: in the same units as x
TRUTH: dict[str, tuple[Callable[[np.ndarray], np.ndarray], float]] = {
    "pow2": (lambda x: 1.0 - 0.08 * x**-0.6, 1.0),
    "pow3": (lambda x: 0.90 - 0.08 * x**-0.6, 0.90),
    "pow4": (lambda x: 0.90 - 0.10 * (x + 1.0 * X_MIN) ** -0.7, 0.90),
    "log_power": (lambda x: 0.90 / (1 + (x / np.exp(-3.0)) ** -0.8), 0.90),
    "mmf4": (lambda x: (0.5 * 0.3 + 0.9 * x**1.2) / (0.3 + x**1.2), 0.90),
    "exp3": (lambda x: 0.90 - 0.40 * np.exp(-3.0 * x), 0.90),
}


def test_every_registered_family_has_a_known_parameter_case() -> None:
    assert set(FAMILIES) == set(TRUTH)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_family_fitted_to_its_own_noise_free_curve_reproduces_it_at_the_anchors(
    name: str,
) -> None:
    truth, plateau = TRUTH[name]
    y = truth(X)
    fit = fit_family(FAMILIES[name], X, y, SE, 1.0)
    assert fit is not None
    np.testing.assert_allclose(fit(X), y, atol=1e-4)
    assert fit.plateau == pytest.approx(plateau, abs=5e-3)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_family_fitted_to_its_own_noise_free_curve_extrapolates_it_to_four_times(
    name: str,
) -> None:
    truth, _ = TRUTH[name]
    fit = fit_family(FAMILIES[name], X, truth(X), SE, 1.0)
    assert fit is not None
    far = np.array([4.0])
    assert fit(far)[0] == pytest.approx(truth(far)[0], abs=1e-3)


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_fitted_curve_value_at_a_point_does_not_depend_on_the_other_points_asked(
    name: str,
) -> None:
    truth, _ = TRUTH[name]
    fit = fit_family(FAMILIES[name], X, truth(X), SE, 1.0)
    assert fit is not None
    together = fit(np.append(X, [2.0, 4.0]))
    alone = np.array([fit(np.array([v]))[0] for v in np.append(X, [2.0, 4.0])])
    np.testing.assert_allclose(alone, together, atol=1e-12)


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


def test_pow2_levels_off_at_the_best_value_and_needs_one() -> None:
    # a curve levelling off at 0.9: pow2 cannot, so it fits worse than pow3, but still rises to 1
    y = 0.90 - 0.08 * X**-0.6
    pow2 = fit_family(FAMILIES["pow2"], X, y, SE, 1.0)
    pow3 = fit_family(FAMILIES["pow3"], X, y, SE, 1.0)
    assert pow2 is not None and pow3 is not None
    assert pow2.plateau == 1.0 and pow2.sse > 100 * pow3.sse
    assert FAMILIES["pow2"].n_params == 2
    # an unbounded metric has no best value to level off at
    assert fit_family(FAMILIES["pow2"], X, y, SE, np.inf) is None
    assert fit_family(FAMILIES["pow3"], X, y, SE, np.inf) is not None


def test_family_with_fewer_anchors_than_parameters_is_not_fitted() -> None:
    fam = FAMILIES["pow4"]
    assert fam.n_params == 4
    x = X[-3:]
    assert fit_family(fam, x, 0.9 - 0.1 * x**-0.5, SE[-3:], 1.0) is None
