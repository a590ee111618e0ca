"""Plain-language claims a reader may repeat (candor/stats/_claims.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from candor.stats import METRICS, Estimate, claim_for, detectable_difference, evaluate


def _accuracy_claim(y: np.ndarray, pred: np.ndarray, **kwargs) -> str:
    ev = evaluate(y, pred, metrics=["accuracy"], **kwargs)
    (claim,) = ev.claims
    assert claim.metric == "accuracy"
    return claim.text


def test_zero_errors_in_300_rows_supports_an_error_bound_not_perfection():
    y = np.array([0, 1, 1] * 100)
    text = _accuracy_claim(y, y)
    assert "No errors in 300 rows" in text
    assert "error rate below 0.99%" in text
    assert 'not "100% accurate"' in text
    assert "rule of three" in text


def test_the_zero_error_bound_follows_the_confidence_level():
    y = np.array([0, 1, 1] * 100)
    text = _accuracy_claim(y, y, level=0.99)
    # 1 - 0.01^(1/300) = 1.52%
    assert "error rate below 1.52%" in text
    assert "99% one-sided" in text


def test_one_error_in_2000_rows_states_the_interval_and_the_detectable_difference():
    y = np.array([0, 1] * 1000)
    pred = y.copy()
    pred[17] = 1 - pred[17]
    ev = evaluate(y, pred, metrics=["accuracy"])
    est = ev["accuracy"]
    text = ev.claims[0].text
    assert est.value == pytest.approx(0.9995)
    assert text.startswith(f"Accuracy is between {est.low:.3f} and {est.high:.3f}")
    assert "(95% CI, 2,000 rows, Wilson)" in text
    assert f"±{detectable_difference(est):.3f}" in text
    assert "80% power" in text
    assert "100%" not in text


def test_detectable_difference_is_z_alpha_plus_z_power_standard_errors():
    est = Estimate(0.5, 0.4, 0.6, 0.95, 400, "Wilson")
    se = 0.1 / stats.norm.ppf(0.975)
    assert detectable_difference(est) == pytest.approx((1.959964 + 0.841621) * se, rel=1e-6)
    assert detectable_difference(est, power=0.9) > detectable_difference(est)


def test_a_cluster_interval_counts_groups_in_its_claim():
    rng = np.random.default_rng(51)
    y = (rng.random(200) < 0.5).astype(int)
    pred = np.where(rng.random(200) < 0.8, y, 1 - y)
    text = _accuracy_claim(y, pred, groups=np.arange(200) // 5, n_resamples=1_000)
    assert "40 groups" in text
    assert "rows" not in text


def test_a_zero_width_interval_says_the_data_cannot_tell():
    est = Estimate(0.5, 0.5, 0.5, 0.95, 100, "DeLong (all scores tied)")
    text = claim_for(METRICS["roc_auc"], est).text
    assert "ROC AUC is between 0.500 and 0.500" in text
    assert "no width" in text
    assert "power" not in text


def test_few_units_are_flagged_as_rough():
    est = Estimate(0.7, 0.5, 0.85, 0.95, 20, "Wilson")
    assert "Only 20 units: treat the interval as rough." in claim_for(METRICS["accuracy"], est).text
    est_30 = Estimate(0.7, 0.6, 0.8, 0.95, 30, "Wilson")
    assert "rough" not in claim_for(METRICS["accuracy"], est_30).text


def test_the_rule_of_three_claim_is_only_for_accuracy():
    est = Estimate(1.0, 0.98, 1.0, 0.95, 300, "bootstrap BCa (1,000 resamples)")
    text = claim_for(METRICS["f1"], est, errors=0).text
    assert text.startswith("F1 is between")


def test_claim_to_dict_is_plain_data():
    est = Estimate(0.7, 0.6, 0.8, 0.95, 300, "Wilson")
    d = claim_for(METRICS["accuracy"], est, errors=90).to_dict()
    assert d["metric"] == "accuracy"
    assert d["text"].startswith("Accuracy is between 0.600 and 0.800")


def test_zero_errors_with_groups_does_not_call_groups_rows():
    y = np.array([0, 1] * 150)
    text = _accuracy_claim(y, y, groups=np.arange(300) // 10, n_resamples=1_000)
    assert "No errors in 30 rows" not in text
    assert "30 groups" in text
