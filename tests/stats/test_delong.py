"""DeLong's AUC variance and paired test (candor/stats/_delong.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import roc_auc_score

from candor.stats import delong, delong_interval, delong_paired


def brute_force_delong(y: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DeLong et al. (1988) as written: the m×n kernel, its structural components, their covariance."""
    scores = np.atleast_2d(scores)
    pos, neg = scores[:, y == 1], scores[:, y == 0]
    m, n = pos.shape[1], neg.shape[1]
    # psi(X, Y) = 1 if the positive outranks the negative, 1/2 on a tie, 0 otherwise
    psi = (pos[:, :, None] > neg[:, None, :]) + 0.5 * (pos[:, :, None] == neg[:, None, :])
    auc = psi.mean(axis=(1, 2))
    v10 = psi.mean(axis=2)  # one component per positive row
    v01 = psi.mean(axis=1)  # one component per negative row
    cov = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
    return auc, cov


@pytest.fixture
def tied_case() -> tuple[np.ndarray, np.ndarray]:
    """Eleven rows, scores on a coarse grid so that positives and negatives tie."""
    y = np.array([0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1])
    score = np.array([0.1, 0.4, 0.4, 0.2, 0.8, 0.4, 0.8, 0.9, 0.1, 0.2, 0.8])
    return y, score


@pytest.fixture
def noisy_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two correlated models scored on 300 rows, rounded to 2 decimals (many ties)."""
    rng = np.random.default_rng(7)
    y = (rng.random(300) < 0.35).astype(int)
    shared = rng.normal(size=300)
    a = np.round(1.2 * y + shared + 0.5 * rng.normal(size=300), 1)
    b = np.round(0.6 * y + shared + 0.5 * rng.normal(size=300), 1)
    return y, a, b


def test_auc_equals_scikit_learn_with_ties(tied_case, noisy_pair):
    y, score = tied_case
    assert delong(y, score).auc[0] == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    y, a, b = noisy_pair
    res = delong(y, np.vstack([a, b]))
    assert res.auc[0] == pytest.approx(roc_auc_score(y, a), abs=1e-12)
    assert res.auc[1] == pytest.approx(roc_auc_score(y, b), abs=1e-12)


def test_variance_equals_brute_force_structural_components_with_ties(tied_case):
    y, score = tied_case
    auc, cov = brute_force_delong(y, score)
    res = delong(y, score)
    assert res.auc[0] == pytest.approx(auc[0], abs=1e-12)
    assert res.covariance[0, 0] == pytest.approx(cov[0, 0], rel=1e-10)
    assert (res.n_positive, res.n_negative) == (6, 5)


def test_covariance_of_two_models_equals_brute_force(noisy_pair):
    y, a, b = noisy_pair
    auc, cov = brute_force_delong(y, np.vstack([a, b]))
    res = delong(y, np.vstack([a, b]))
    np.testing.assert_allclose(res.auc, auc, atol=1e-12)
    np.testing.assert_allclose(res.covariance, cov, rtol=1e-10)
    assert res.covariance[0, 1] > 0  # the shared noise makes the two AUCs move together


def test_logit_interval_is_built_from_the_delong_standard_error(tied_case):
    y, score = tied_case
    auc, cov = brute_force_delong(y, score)
    se_logit = math.sqrt(cov[0, 0]) / (auc[0] * (1 - auc[0]))
    centre = math.log(auc[0] / (1 - auc[0]))
    z = stats.norm.ppf(0.975)
    e = delong_interval(y, score)
    assert e.method == "DeLong (logit)"
    assert e.value == pytest.approx(auc[0])
    assert e.low == pytest.approx(1 / (1 + math.exp(-(centre - z * se_logit))))
    assert e.high == pytest.approx(1 / (1 + math.exp(-(centre + z * se_logit))))
    assert e.n == len(y)


def test_logit_interval_stays_inside_zero_one_near_perfect_auc():
    y = np.array([0] * 20 + [1] * 20)
    score = np.arange(40.0)
    score[[19, 20]] = score[[20, 19]]  # one swapped pair: AUC just below 1
    e = delong_interval(y, score)
    assert 0.99 < e.value < 1.0
    assert 0.0 < e.low < e.value < e.high < 1.0


def test_paired_difference_equals_difference_of_aucs(noisy_pair):
    y, a, b = noisy_pair
    diff, p = delong_paired(y, a, b)
    assert diff.value == pytest.approx(roc_auc_score(y, a) - roc_auc_score(y, b), abs=1e-12)
    assert diff.low < diff.value < diff.high
    assert diff.method == "DeLong paired"
    assert 0.0 <= p <= 1.0


def test_paired_p_value_is_the_two_sided_normal_test_on_the_brute_force_variance(noisy_pair):
    y, a, b = noisy_pair
    auc, cov = brute_force_delong(y, np.vstack([a, b]))
    se = math.sqrt(cov[0, 0] + cov[1, 1] - 2 * cov[0, 1])
    expected = 2 * stats.norm.sf(abs(auc[0] - auc[1]) / se)
    diff, p = delong_paired(y, a, b)
    assert p == pytest.approx(expected, rel=1e-8)
    assert diff.half_width == pytest.approx(stats.norm.ppf(0.975) * se, rel=1e-8)


def test_paired_test_is_antisymmetric(noisy_pair):
    y, a, b = noisy_pair
    ab, p_ab = delong_paired(y, a, b)
    ba, p_ba = delong_paired(y, b, a)
    assert ab.value == pytest.approx(-ba.value)
    assert ab.low == pytest.approx(-ba.high)
    assert p_ab == pytest.approx(p_ba)


def test_paired_test_of_a_model_against_itself_finds_nothing(noisy_pair):
    y, a, _ = noisy_pair
    diff, p = delong_paired(y, a, a.copy())
    assert diff.value == 0.0
    assert diff.low == diff.high == 0.0
    assert p == 1.0


def test_constant_scores_give_auc_one_half_with_zero_width_interval():
    y = np.array([0, 1] * 25)
    e = delong_interval(y, np.full(50, 0.3))
    assert e.value == 0.5
    assert e.low == e.high == 0.5
    assert "tied" in e.method


def test_perfect_separation_gives_auc_one_with_a_lower_bound_below_one():
    y = np.array([0] * 30 + [1] * 20)
    score = np.r_[np.linspace(0, 0.4, 30), np.linspace(0.6, 1, 20)]
    e = delong_interval(y, score)
    assert e.value == 1.0
    assert e.high == 1.0
    # exact bound on min(positives, negatives) = 20 "trials" with no failure
    assert e.low == pytest.approx(0.025 ** (1 / 20))
    assert e.low < 1.0
    assert "separable" in e.method


def test_perfectly_reversed_scores_give_auc_zero_with_an_upper_bound_above_zero():
    y = np.array([0] * 30 + [1] * 20)
    score = np.r_[np.linspace(0.6, 1, 30), np.linspace(0, 0.4, 20)]
    e = delong_interval(y, score)
    assert e.value == 0.0
    assert e.low == 0.0
    assert 0.0 < e.high < 1.0


def test_one_class_only_is_refused():
    with pytest.raises(ValueError, match="both classes"):
        delong(np.ones(10), np.linspace(0, 1, 10))
