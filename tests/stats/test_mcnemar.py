"""McNemar's test on discordant pairs (candor/stats/_mcnemar.py)."""

from __future__ import annotations

import pytest
from scipy import stats

from candor.stats import mcnemar


def test_corrected_chi_square_matches_the_hand_worked_example():
    # b=10 rows only A got right, c=3 only B: (|10-3|-1)^2 / 13 = 36/13
    r = mcnemar(10, 3, exact=False)
    assert r.statistic == pytest.approx(36 / 13)
    assert round(r.statistic, 3) == 2.769
    assert round(r.p_value, 4) == 0.0961
    assert r.method == "McNemar chi-square (corrected)"
    assert (r.b, r.c) == (10, 3)


def test_exact_version_is_twice_the_binomial_tail():
    r = mcnemar(10, 3, exact=True)
    expected = 2 * stats.binom.cdf(3, 13, 0.5)
    assert r.p_value == pytest.approx(expected, rel=1e-12)
    assert round(r.p_value, 4) == 0.0923
    assert r.method == "McNemar exact"


def test_exact_test_is_used_by_default_below_25_discordant_rows():
    assert mcnemar(10, 3).method == "McNemar exact"
    assert mcnemar(20, 4).method == "McNemar exact"
    assert mcnemar(20, 5).method == "McNemar chi-square (corrected)"


def test_test_is_symmetric_in_the_two_models():
    for exact in (True, False):
        assert mcnemar(10, 3, exact).p_value == pytest.approx(mcnemar(3, 10, exact).p_value)


def test_no_discordant_pairs_gives_p_equal_one():
    r = mcnemar(0, 0)
    assert r.p_value == 1.0
    assert r.statistic == 0.0
    assert "no discordant" in r.method


def test_exact_p_value_never_exceeds_one_when_counts_are_equal():
    assert mcnemar(6, 6, exact=True).p_value == 1.0


def test_one_sided_evidence_is_significant():
    assert mcnemar(40, 5).p_value < 1e-6


def test_equal_discordant_counts_give_no_evidence_with_the_chi_square_test():
    r = mcnemar(20, 20, exact=False)
    assert r.statistic == 0.0
    assert r.p_value == 1.0


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="non-negative"):
        mcnemar(-1, 3)
