"""Cost curves recover the growth of c + a n^b, give intervals that hold the truth, and skip
measurements that cannot be used."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from candor.forecast import fit_cost_curve

SIZES = np.geomspace(100, 3200, 6).round()
FAR = 4 * SIZES[-1]

CURVES: dict[int, Callable[[np.ndarray | float], np.ndarray]] = {
    1: lambda n: np.asarray(0.01 + 1e-5 * np.asarray(n, dtype=float)),
    2: lambda n: np.asarray(0.01 + 1e-8 * np.asarray(n, dtype=float) ** 2),
}


#: anchors like forecast()'s on a few hundred rows, and a fast model's fit time on them: 4 ms of
#: fixed overhead plus 2 us a row, so the growing part is a small share of what is measured
SMALL = np.array([25, 36, 50, 71, 101, 142, 201, 284], dtype=float)


def _overhead(n: np.ndarray | float) -> np.ndarray:
    return np.asarray(0.004 + 2e-6 * np.asarray(n, dtype=float))


def _measured(truth: np.ndarray, seed: int, noise: float = 0.05, repeats: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return truth * np.exp(rng.normal(0, noise, (repeats, len(truth))))


@pytest.mark.parametrize("b", [1, 2])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cost_curve_recovers_the_exponent_of_c_plus_a_n_to_the_b(b: int, seed: int) -> None:
    curve = fit_cost_curve(SIZES, _measured(CURVES[b](SIZES), seed))
    assert curve is not None
    assert curve.exponent == pytest.approx(b, abs=0.2)
    assert curve.overhead >= 0 and curve.scale >= 0


@pytest.mark.parametrize("b", [1, 2])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cost_interval_at_four_times_the_largest_size_holds_the_truth(b: int, seed: int) -> None:
    curve = fit_cost_curve(SIZES, _measured(CURVES[b](SIZES), seed), level=0.90)
    assert curve is not None
    est = curve.estimate(FAR)
    truth = float(CURVES[b](FAR))
    assert 0 < est.low <= est.value <= est.high
    assert est.contains(truth), f"{est} does not hold {truth:.4g}"
    assert est.level == 0.90


def test_cost_interval_coverage_over_many_power_law_curves() -> None:
    hits = total = 0
    for b in (1, 2):
        for seed in range(20):
            curve = fit_cost_curve(SIZES, _measured(CURVES[b](SIZES), 100 + seed))
            assert curve is not None
            hits += curve.estimate(FAR).contains(float(CURVES[b](FAR)))
            total += 1
    assert hits / total >= 0.80, f"90% interval held the truth in {hits}/{total} cases"


def test_cost_interval_holds_the_truth_when_fits_are_overhead_dominated_and_noisy() -> None:
    # what forecast() meets with a fast model: anchors of 25 to 284 rows, 10 fits each, a fit time
    # of 4 ms plus 2 us a row with 30% timing noise, forecast for 10x the data (20x the anchor)
    hits = 0
    n_curves = 40
    for seed in range(n_curves):
        curve = fit_cost_curve(SMALL, _measured(_overhead(SMALL), seed, noise=0.3, repeats=10))
        assert curve is not None
        assert curve.exponent < 2.0  # timer noise is not extrapolated as n^2 or n^3
        hits += curve.estimate(20 * SMALL[-1]).contains(float(_overhead(20 * SMALL[-1])))
    rate = hits / n_curves
    assert rate >= 0.75, f"90% interval at 20x held the truth in {rate:.0%} of {n_curves} curves"


def test_cost_interval_holds_the_truth_when_fits_are_overhead_dominated_and_precise() -> None:
    hits = 0
    n_curves = 60
    for seed in range(n_curves):
        curve = fit_cost_curve(SMALL, _measured(_overhead(SMALL), seed, noise=0.1, repeats=10))
        assert curve is not None
        hits += curve.estimate(20 * SMALL[-1]).contains(float(_overhead(20 * SMALL[-1])))
    rate = hits / n_curves
    assert rate >= 0.80, f"90% interval at 20x held the truth in {rate:.0%} of {n_curves} curves"


def test_zeros_and_nans_are_ignored() -> None:
    clean = _measured(CURVES[1](SIZES), 0)
    dirty = clean.copy()
    dirty[0, 1] = np.nan
    dirty[2, 3] = 0.0
    dirty[4, 5] = -1.0
    dirty[3, 0] = np.inf
    keep = np.isfinite(dirty) & (dirty > 0)
    # the same measurements, given one per row with the unusable ones simply left out
    expected = fit_cost_curve(np.broadcast_to(SIZES, clean.shape)[keep], clean[keep])
    # a size whose every measurement is unusable adds nothing
    sizes = np.append(SIZES, 6400.0)
    dirty = np.hstack([dirty, np.zeros((len(dirty), 1))])
    got = fit_cost_curve(sizes, dirty)
    assert got is not None and expected is not None
    assert got.n_points == int(keep.sum())
    assert got.exponent == expected.exponent
    assert got.overhead == pytest.approx(expected.overhead)
    assert got.scale == pytest.approx(expected.scale)
    assert got.estimate(FAR).value == pytest.approx(expected.estimate(FAR).value)
    assert np.isfinite(got.estimate(FAR).high)


def test_a_single_usable_size_gives_no_curve() -> None:
    values = np.array([[0.5, 0.0, np.nan], [0.6, np.nan, 0.0]])
    assert fit_cost_curve([100, 200, 400], values) is None
    assert fit_cost_curve([100], [[0.1, 0.2]]) is None


def test_one_measurement_per_size_is_accepted() -> None:
    curve = fit_cost_curve(SIZES, CURVES[2](SIZES))
    assert curve is not None
    assert curve.exponent == pytest.approx(2, abs=0.05)
    assert curve.estimate(FAR).value == pytest.approx(float(CURVES[2](FAR)), rel=0.02)


def test_more_rows_are_never_forecast_to_cost_less_than_the_fastest_largest_fit() -> None:
    # timings that swing 20x between repeats (a busy machine): the log-space spread is huge, but
    # the interval at and past the largest size stays above its fastest measurement there
    sizes = np.array([50.0, 100, 200, 400, 800])
    fast = 1e-4 * sizes
    V = np.stack([fast, fast * 20, fast * 1.5, fast * 18])
    curve = fit_cost_curve(sizes, V)
    assert curve is not None
    for n in (800, 1600, 8000):
        assert curve.estimate(n).low >= fast[-1] * (1 - 1e-12)
    assert curve.estimate(n).low < curve.estimate(n).value < curve.estimate(n).high


def test_fit_time_past_the_anchors_allows_for_an_exponent_the_anchors_cannot_show() -> None:
    # a clean power law: the anchors alone would give a tight interval at 10x, but the exponent
    # that holds there may differ (an overhead that stops dominating, caches): the interval
    # allows TIME_EXPONENT_SD of it per unit of log distance past the largest anchor
    import math

    from candor.forecast._costs import TIME_EXPONENT_SD

    sizes = np.array([50.0, 100, 200, 400, 800])
    rng = np.random.default_rng(3)
    V = 1e-4 * sizes**1.1 * np.exp(rng.normal(0, 0.01, (3, 5)))
    bare = fit_cost_curve(sizes, V)
    timed = fit_cost_curve(sizes, V, exponent_sd=TIME_EXPONENT_SD)
    assert bare is not None and timed is not None
    at = timed.estimate(8000)
    assert math.log(at.high / at.value) >= 1.645 * TIME_EXPONENT_SD * math.log(10) * 0.99
    assert bare.estimate(8000).high < at.high
    # within the anchors nothing changes
    assert timed.estimate(400).high == bare.estimate(400).high
    assert f"exponent error of {TIME_EXPONENT_SD:g}" in at.method


def test_the_exponents_interval_holds_the_true_exponent_about_as_often_as_it_claims() -> None:
    """The prior towards 1 must not pull a true 2 out of the reported exponent's interval."""
    for b in (1, 2):
        hits = 0
        for seed in range(40):
            curve = fit_cost_curve(SIZES, _measured(CURVES[b](SIZES), 300 + seed), level=0.90)
            assert curve is not None
            e = curve.exponent_estimate()
            assert e.low <= e.value <= e.high and e.n == curve.n_points
            hits += e.low - 1e-9 <= b <= e.high + 1e-9
        assert hits >= 32, f"the 90% interval held exponent {b} in {hits}/40 curves"
    d = curve.to_dict()
    assert d["exponent"]["value"] == curve.exponent and "likelihood" in d["exponent"]["method"]
