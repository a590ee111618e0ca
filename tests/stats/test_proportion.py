"""Wilson, exact Clopper-Pearson and the rule of three (candor/stats/_proportion.py)."""

from __future__ import annotations

import pytest
from scipy import stats

from candor.stats import clopper_pearson_interval, rule_of_three_upper, wilson_interval

#: (successes, trials), edges included: 0 and n are where naive intervals break
GRID = sorted(
    {
        (k, n)
        for n in (1, 2, 5, 13, 40, 300, 1001)
        for k in (0, 1, n // 3, n // 2, n - 1, n)
        if 0 <= k <= n
    }
)


def test_rule_of_three_after_zero_errors_in_300_rows_is_0_0099():
    assert round(rule_of_three_upper(300), 4) == 0.0099


def test_rule_of_three_approaches_three_over_n_for_large_n():
    assert rule_of_three_upper(100_000) == pytest.approx(3 / 100_000, rel=0.01)


def test_rule_of_three_is_the_one_sided_exact_bound():
    # the exact two-sided 90% upper bound at 0 events is the one-sided 95% bound
    for n in (10, 300, 5000):
        assert rule_of_three_upper(n, 0.95) == pytest.approx(
            clopper_pearson_interval(0, n, level=0.90).high, rel=1e-12
        )


def test_exact_upper_bound_after_zero_errors_in_300_rows_is_0_0122():
    e = clopper_pearson_interval(0, 300)
    assert e.low == 0.0
    assert round(e.high, 4) == 0.0122


def test_wilson_upper_bound_after_zero_errors_in_300_rows_is_0_0126():
    e = wilson_interval(0, 300)
    assert e.low == pytest.approx(0.0, abs=1e-15)
    assert round(e.high, 4) == 0.0126


@pytest.mark.parametrize(("k", "n"), [(0, 3), (0, 300), (10, 10), (25, 25)])
def test_wilson_interval_at_zero_or_n_successes_contains_the_observed_rate(k, n):
    e = wilson_interval(k, n)
    assert e.contains(k / n)


def test_exact_interval_is_wider_than_rule_of_three_because_it_is_two_sided():
    assert rule_of_three_upper(300) < clopper_pearson_interval(0, 300).high


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
@pytest.mark.parametrize(("k", "n"), GRID)
def test_wilson_interval_matches_scipy(k, n, level):
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    e = wilson_interval(k, n, level)
    assert e.low == pytest.approx(ref.low, abs=1e-12)
    assert e.high == pytest.approx(ref.high, abs=1e-12)


@pytest.mark.parametrize("level", [0.90, 0.95, 0.99])
@pytest.mark.parametrize(("k", "n"), GRID)
def test_clopper_pearson_interval_matches_scipy_exact(k, n, level):
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    e = clopper_pearson_interval(k, n, level)
    assert e.low == pytest.approx(ref.low, abs=1e-12)
    assert e.high == pytest.approx(ref.high, abs=1e-12)


@pytest.mark.parametrize("interval", [wilson_interval, clopper_pearson_interval])
def test_interval_reports_the_observed_proportion_its_n_and_level(interval):
    e = interval(17, 40, 0.9)
    assert e.value == 17 / 40
    assert e.n == 40
    assert e.level == 0.9
    assert e.low < e.value < e.high


def test_methods_are_named_so_a_reader_can_judge_the_interval():
    assert wilson_interval(3, 10).method == "Wilson"
    assert clopper_pearson_interval(3, 10).method == "Clopper-Pearson exact"


@pytest.mark.parametrize("interval", [wilson_interval, clopper_pearson_interval])
@pytest.mark.parametrize(
    ("k", "n", "level", "message"),
    [
        (0, 0, 0.95, "n must be positive"),
        (-1, 10, 0.95, "k must be between 0 and n=10"),
        (11, 10, 0.95, "k must be between 0 and n=10"),
        (5, 10, 1.0, "level must be between 0 and 1"),
        (5, 10, 0.0, "level must be between 0 and 1"),
    ],
)
def test_interval_rejects_impossible_counts_and_levels(interval, k, n, level, message):
    with pytest.raises(ValueError, match=message):
        interval(k, n, level)


def test_rule_of_three_rejects_zero_trials():
    with pytest.raises(ValueError, match="n must be positive"):
        rule_of_three_upper(0)
