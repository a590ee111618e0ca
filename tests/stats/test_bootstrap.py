"""The vectorised bootstrap engine (candor/stats/_bootstrap.py).

Reference: ``scipy.stats.bootstrap``. Two independent Monte-Carlo runs of 10,000 resamples differ by
a few thousandths of the statistic, so bounds are compared to within 1-2% of the statistic's scale
(0.01 for accuracy, whose bounds also sit on a 1/n grid; 0.015 for F1, a ratio on 120 rows).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special, stats
from sklearn.metrics import f1_score, r2_score

from candor.stats import (
    METRICS,
    RowStats,
    bootstrap,
    paired_rows,
    prepare_predictions,
    rows_from_codes,
)
from candor.stats import _bootstrap as engine

SCIPY_METHOD = {"percentile": "percentile", "bca": "BCa"}


def _share(S: np.ndarray) -> np.ndarray:
    """Accuracy from (wrong, right) cell counts."""
    return S[:, 1] / S.sum(axis=1)


@pytest.fixture
def skewed_errors() -> dict[str, np.ndarray]:
    """150 regression rows with right-skewed absolute errors (where BCa and percentile differ)."""
    rng = np.random.default_rng(21)
    y = 3 * rng.normal(size=150)
    pred = y + rng.lognormal(0.0, 0.8, size=150) - 1.2
    return {"y": y, "pred": pred}


@pytest.fixture
def correct_200() -> np.ndarray:
    """Whether each of 200 predictions was right (about 80% are)."""
    return (np.random.default_rng(22).random(200) < 0.8).astype(int)


@pytest.fixture
def classified() -> dict[str, np.ndarray]:
    """120 binary rows with an imperfect classifier."""
    rng = np.random.default_rng(23)
    y = (rng.random(120) < 0.3).astype(int)
    flip = rng.random(120) < 0.2
    return {"y": y, "pred": np.where(flip, 1 - y, y)}


def _mae_rows(d: dict[str, np.ndarray]) -> RowStats:
    return METRICS["mae"].rows(prepare_predictions(d["y"], d["pred"], task="regression"), None)


# --- agreement with scipy.stats.bootstrap ----------------------------------------------------------
@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_mean_absolute_error_interval_agrees_with_scipy(skewed_errors, method):
    d = skewed_errors
    ours = bootstrap(_mae_rows(d), method=method, n_resamples=10_000, seed=1).estimate
    abs_err = np.abs(d["pred"] - d["y"])
    ref = stats.bootstrap(
        (abs_err,), np.mean, n_resamples=10_000, method=SCIPY_METHOD[method], rng=2
    ).confidence_interval
    scale = abs_err.mean()
    assert ours.value == pytest.approx(scale)
    assert ours.low == pytest.approx(ref.low, abs=0.01 * scale)
    assert ours.high == pytest.approx(ref.high, abs=0.01 * scale)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_accuracy_interval_on_cells_agrees_with_scipy(correct_200, method):
    rows = rows_from_codes(correct_200, 2, _share)
    ours = bootstrap(rows, method=method, n_resamples=10_000, seed=1).estimate
    ref = stats.bootstrap(
        (correct_200,), np.mean, n_resamples=10_000, method=SCIPY_METHOD[method], rng=2
    ).confidence_interval
    assert ours.value == correct_200.mean()
    assert ours.low == pytest.approx(ref.low, abs=0.01)
    assert ours.high == pytest.approx(ref.high, abs=0.01)


@pytest.mark.parametrize("method", ["percentile", "bca"])
def test_f1_interval_on_confusion_cells_agrees_with_scipy_paired_bootstrap(classified, method):
    y, pred = classified["y"], classified["pred"]

    def f1(yt: np.ndarray, yp: np.ndarray, axis: int = -1) -> np.ndarray:
        tp = np.sum((yt == 1) & (yp == 1), axis=axis)
        return 2 * tp / (np.sum(yt == 1, axis=axis) + np.sum(yp == 1, axis=axis))

    rows = METRICS["f1"].rows(prepare_predictions(y, pred), None)
    ours = bootstrap(rows, method=method, n_resamples=10_000, seed=1).estimate
    ref = stats.bootstrap(
        (y, pred), f1, paired=True, n_resamples=10_000, method=SCIPY_METHOD[method], rng=2
    ).confidence_interval
    assert ours.value == pytest.approx(f1_score(y, pred))
    assert ours.low == pytest.approx(ref.low, abs=0.015)
    assert ours.high == pytest.approx(ref.high, abs=0.015)


# --- the interval formulas, checked without Monte-Carlo noise ---------------------------------------
def test_percentile_interval_is_the_quantiles_of_the_resampled_statistics(skewed_errors):
    res = bootstrap(_mae_rows(skewed_errors), method="percentile", n_resamples=2_000, seed=3)
    low, high = np.quantile(res.distribution, [0.025, 0.975])
    assert (res.estimate.low, res.estimate.high) == (low, high)


def test_bca_interval_follows_efron_with_a_leave_one_out_acceleration(skewed_errors):
    d = skewed_errors
    res = bootstrap(_mae_rows(d), method="bca", n_resamples=2_000, seed=3)
    abs_err = np.abs(d["pred"] - d["y"])
    theta = abs_err.mean()
    loo = np.array([np.delete(abs_err, i).mean() for i in range(len(abs_err))])
    dev = loo.mean() - loo
    accel = np.sum(dev**3) / (6 * np.sum(dev**2) ** 1.5)
    boot = res.distribution
    z0 = special.ndtri(np.mean(boot < theta) + 0.5 * np.mean(boot == theta))
    zq = special.ndtri(np.array([0.025, 0.975]))
    probs = special.ndtr(z0 + (z0 + zq) / (1 - accel * (z0 + zq)))
    low, high = np.quantile(boot, probs)
    assert accel > 0.01  # skewed errors: the correction is not a no-op here
    assert res.estimate.low == pytest.approx(low, rel=1e-12)
    assert res.estimate.high == pytest.approx(high, rel=1e-12)
    assert "BCa" in res.estimate.method


def test_bca_falls_back_to_percentile_when_every_resample_equals_the_estimate():
    rows = rows_from_codes(np.ones(50, dtype=int), 2, _share)
    est = bootstrap(rows, method="bca", n_resamples=500).estimate
    assert est.value == est.low == est.high == 1.0


# --- the exact jackknife ---------------------------------------------------------------------------
def test_jackknife_equals_leave_one_row_out_for_f1(classified):
    y, pred = classified["y"], classified["pred"]
    rows = METRICS["f1"].rows(prepare_predictions(y, pred), None)
    units = engine._units(rows, None)
    jack = engine._jackknife(units)
    # rows collapse into confusion cells; a row's leave-one-out value is its cell's
    _, cell_of_row = np.unique(rows.codes, return_inverse=True)
    brute = np.array([f1_score(np.delete(y, i), np.delete(pred, i)) for i in range(len(y))])
    assert len(jack) == 4 and units.m.sum() == len(y)
    np.testing.assert_allclose(jack[cell_of_row], brute, rtol=1e-12)


def test_jackknife_equals_leave_one_row_out_for_r2(skewed_errors):
    y, pred = skewed_errors["y"], skewed_errors["pred"]
    rows = METRICS["r2"].rows(prepare_predictions(y, pred, task="regression"), None)
    jack = engine._jackknife(engine._units(rows, None))
    brute = np.array([r2_score(np.delete(y, i), np.delete(pred, i)) for i in range(len(y))])
    np.testing.assert_allclose(jack, brute, rtol=1e-9)


def test_jackknife_with_groups_leaves_one_whole_group_out(classified):
    y, pred = classified["y"], classified["pred"]
    groups = np.arange(len(y)) % 17
    rows = METRICS["f1"].rows(prepare_predictions(y, pred), None)
    jack = engine._jackknife(engine._units(rows, groups))
    brute = [f1_score(y[groups != g], pred[groups != g]) for g in range(17)]
    np.testing.assert_allclose(jack, brute, rtol=1e-12)


def test_acceleration_of_collapsed_cells_equals_the_row_by_row_one(classified):
    y, pred = classified["y"], classified["pred"]
    rows = METRICS["f1"].rows(prepare_predictions(y, pred), None)
    units = engine._units(rows, None)
    collapsed = engine._acceleration(engine._jackknife(units), units.m)
    brute = np.array([f1_score(np.delete(y, i), np.delete(pred, i)) for i in range(len(y))])
    dev = brute.mean() - brute
    assert collapsed == pytest.approx(np.sum(dev**3) / (6 * np.sum(dev**2) ** 1.5), rel=1e-9)


# --- the cluster bootstrap -------------------------------------------------------------------------
@pytest.fixture
def clustered_correctness() -> tuple[np.ndarray, np.ndarray]:
    """40 customers with 10 rows each; a customer's rows are all right or all wrong."""
    rng = np.random.default_rng(24)
    customer_right = (rng.random(40) < 0.75).astype(int)
    return np.repeat(customer_right, 10), np.repeat(np.arange(40), 10)


def test_cluster_bootstrap_counts_groups_not_rows(clustered_correctness):
    correct, groups = clustered_correctness
    est = bootstrap(rows_from_codes(correct, 2, _share), groups=groups).estimate
    assert est.n == 40
    assert est.method.startswith("cluster bootstrap")
    assert est.value == correct.mean()


def test_cluster_bootstrap_is_wider_than_row_bootstrap_for_correlated_rows(clustered_correctness):
    correct, groups = clustered_correctness
    rows = rows_from_codes(correct, 2, _share)
    by_row = bootstrap(rows, method="percentile").estimate
    by_group = bootstrap(rows, groups=groups, method="percentile").estimate
    assert by_row.n == 400
    # ten perfectly correlated rows carry one row's information: about sqrt(10) times wider
    ratio = (by_group.high - by_group.low) / (by_row.high - by_row.low)
    assert 2.5 < ratio < 4.0


def test_groups_of_one_row_reproduce_the_row_bootstrap(skewed_errors):
    rows = _mae_rows(skewed_errors)
    plain = bootstrap(rows, seed=5).estimate
    singletons = bootstrap(rows, groups=np.arange(rows.n_rows), seed=5).estimate
    assert singletons.n == plain.n
    assert singletons.low == pytest.approx(plain.low, rel=0.02)
    assert singletons.high == pytest.approx(plain.high, rel=0.02)


# --- reproducibility -------------------------------------------------------------------------------
@pytest.mark.parametrize("use_groups", [False, True])
def test_same_seed_gives_identical_results(skewed_errors, use_groups):
    rows = _mae_rows(skewed_errors)
    groups = np.arange(rows.n_rows) // 3 if use_groups else None
    a = bootstrap(rows, groups=groups, n_resamples=1_000, seed=42)
    b = bootstrap(rows, groups=groups, n_resamples=1_000, seed=42)
    np.testing.assert_array_equal(a.distribution, b.distribution)
    assert a.estimate == b.estimate


def test_another_seed_gives_another_draw(correct_200):
    rows = rows_from_codes(correct_200, 2, _share)
    a = bootstrap(rows, n_resamples=1_000, seed=1)
    b = bootstrap(rows, n_resamples=1_000, seed=2)
    assert not np.array_equal(a.distribution, b.distribution)
    assert a.estimate.value == b.estimate.value


def test_an_explicit_generator_is_accepted_as_seed(correct_200):
    rows = rows_from_codes(correct_200, 2, _share)
    a = bootstrap(rows, n_resamples=500, seed=np.random.default_rng(9))
    b = bootstrap(rows, n_resamples=500, seed=9)
    np.testing.assert_array_equal(a.distribution, b.distribution)


@pytest.mark.parametrize("collapsed", [False, True])
def test_small_memory_chunks_fill_every_resample(monkeypatch, skewed_errors, collapsed):
    if collapsed:
        rows = rows_from_codes((skewed_errors["pred"] > skewed_errors["y"]).astype(int), 2, _share)
    else:
        rows = _mae_rows(skewed_errors)
    whole = bootstrap(rows, n_resamples=3_001, seed=8)
    monkeypatch.setattr(engine, "_CHUNK_ELEMENTS", 1_000)  # a handful of resamples per chunk
    chunked = bootstrap(rows, n_resamples=3_001, seed=8)
    assert chunked.distribution.shape == (3_001,)
    assert np.isfinite(chunked.distribution).all()
    assert chunked.distribution.mean() == pytest.approx(whole.distribution.mean(), rel=0.01)
    assert chunked.distribution.std() == pytest.approx(whole.distribution.std(), rel=0.1)


# --- the rest of the contract ----------------------------------------------------------------------
def test_resamples_where_the_statistic_is_undefined_are_counted_and_left_out():
    y = np.zeros(30, dtype=int)
    y[[12, 25]] = 1  # two positives: some resamples have none, so no AUC
    score = np.linspace(0, 1, 30)
    rows = METRICS["roc_auc"].rows(prepare_predictions(y, None, score), None)
    res = bootstrap(rows, n_resamples=2_000, seed=4)
    nan = np.isnan(res.distribution)
    assert res.undefined_fraction == pytest.approx(nan.mean())
    assert 0.05 < res.undefined_fraction < 0.3  # (28/30)^30 of resamples miss both: 13%
    assert np.isfinite([res.estimate.low, res.estimate.high]).all()


def test_value_shifts_the_whole_interval(correct_200):
    rows = rows_from_codes(correct_200, 2, _share)
    plain = bootstrap(rows, seed=6).estimate
    shifted = bootstrap(rows, seed=6, value=plain.value + 0.01).estimate
    assert shifted.value == pytest.approx(plain.value + 0.01)
    assert shifted.low == pytest.approx(plain.low + 0.01)
    assert shifted.high == pytest.approx(plain.high + 0.01)


def test_paired_rows_bootstrap_the_difference_on_the_same_resamples(classified):
    y, pred = classified["y"], classified["pred"]
    worse = pred.copy()
    worse[:12] = 1 - worse[:12]
    a = rows_from_codes((pred == y).astype(int), 2, _share)
    b = rows_from_codes((worse == y).astype(int), 2, _share)
    diff = bootstrap(paired_rows(a, b), method="percentile", seed=7).estimate
    assert diff.value == pytest.approx(np.mean(pred == y) - np.mean(worse == y))
    # b differs from a on 12 rows only: the paired spread is far tighter than a's own
    alone = bootstrap(a, method="percentile", seed=7).estimate
    assert diff.high - diff.low < 0.8 * (alone.high - alone.low)


def test_paired_rows_need_the_same_rows():
    a = rows_from_codes(np.zeros(10, dtype=int), 2, _share)
    b = rows_from_codes(np.zeros(11, dtype=int), 2, _share)
    with pytest.raises(ValueError, match="same rows"):
        paired_rows(a, b)


def test_level_sets_the_interval_width(correct_200):
    rows = rows_from_codes(correct_200, 2, _share)
    narrow = bootstrap(rows, level=0.80, method="percentile").estimate
    wide = bootstrap(rows, level=0.99, method="percentile").estimate
    assert wide.low < narrow.low < narrow.high < wide.high
    assert narrow.level == 0.80


def test_method_names_the_resampling(correct_200):
    rows = rows_from_codes(correct_200, 2, _share)
    assert bootstrap(rows, n_resamples=1_000).estimate.method == "bootstrap BCa (1,000 resamples)"
    assert (
        bootstrap(rows, n_resamples=1_000, method="percentile").estimate.method
        == "bootstrap percentile (1,000 resamples)"
    )


def test_unknown_method_is_refused_with_the_valid_ones(correct_200):
    with pytest.raises(ValueError, match=r"unknown bootstrap method 'bc'.*bca.*percentile"):
        bootstrap(rows_from_codes(correct_200, 2, _share), method="bc")


def test_zero_rows_are_refused():
    with pytest.raises(ValueError, match="zero rows"):
        bootstrap(rows_from_codes(np.zeros(0, dtype=int), 2, _share))


def test_groups_must_match_the_rows(correct_200):
    with pytest.raises(ValueError, match="groups has 10 entries for 200 rows"):
        bootstrap(rows_from_codes(correct_200, 2, _share), groups=np.arange(10))


# --- the jackknife-normal interval (for very many units) ------------------------------------------
def test_jackknife_normal_for_a_mean_is_the_textbook_standard_error(skewed_errors):
    d = skewed_errors
    abs_err = np.abs(d["pred"] - d["y"])
    est = engine.jackknife_normal(_mae_rows(d))
    se = abs_err.std(ddof=1) / np.sqrt(len(abs_err))  # the jackknife SE of a mean, exactly
    assert est.value == pytest.approx(abs_err.mean())
    assert est.half_width == pytest.approx(stats.norm.ppf(0.975) * se, rel=1e-10)
    assert est.low + est.high == pytest.approx(2 * est.value)
    assert (est.n, est.method) == (150, "normal, jackknife SE")


def test_jackknife_normal_on_collapsed_cells_equals_the_row_by_row_jackknife(classified):
    y, pred = classified["y"], classified["pred"]
    est = engine.jackknife_normal(METRICS["f1"].rows(prepare_predictions(y, pred), None), level=0.9)
    loo = np.array([f1_score(np.delete(y, i), np.delete(pred, i)) for i in range(len(y))])
    se = np.sqrt((len(y) - 1) / len(y) * np.sum((loo - loo.mean()) ** 2))
    assert est.half_width == pytest.approx(stats.norm.ppf(0.95) * se, rel=1e-9)
    assert est.n == len(y)
    assert est.level == 0.9


def test_jackknife_normal_with_groups_leaves_out_whole_groups(clustered_correctness):
    correct, groups = clustered_correctness
    est = engine.jackknife_normal(rows_from_codes(correct, 2, _share), groups=groups)
    per_group = correct.reshape(40, 10).mean(axis=1)  # equal sizes: a mean of 40 group means
    se = per_group.std(ddof=1) / np.sqrt(40)
    assert est.half_width == pytest.approx(stats.norm.ppf(0.975) * se, rel=1e-10)
    assert (est.n, est.method) == (40, "normal, cluster jackknife SE")


def test_jackknife_normal_is_centred_on_value_when_given(skewed_errors):
    rows = _mae_rows(skewed_errors)
    plain = engine.jackknife_normal(rows)
    moved = engine.jackknife_normal(rows, value=plain.value + 1.0)
    assert moved.value == pytest.approx(plain.value + 1.0)
    assert moved.half_width == pytest.approx(plain.half_width)
