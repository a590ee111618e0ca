"""What a rung costs, measured with intervals: fit time, peak memory, latency, size."""

from __future__ import annotations

import numpy as np
import pytest

from candor.ladder import ladder
from candor.ladder._climb import FOLDS
from candor.ladder._measure import mean_interval, peak_memory, quantile_interval
from candor.stats import Estimate
from tests.ladder._data import linear_data


def _ordered(e: Estimate | None) -> Estimate:
    assert isinstance(e, Estimate)
    assert 0 <= e.low <= e.value <= e.high, e
    assert e.n >= 1 and e.method
    return e


def test_every_measured_rung_has_costs_with_intervals() -> None:
    X, y = linear_data(n=500, k=6)
    result = ladder(X, y, rungs=["dummy", "linear", "decision_tree"])
    for r in result.rungs:
        assert r.status == "done"
        assert _ordered(r.fit_seconds).n == FOLDS and r.fit_seconds.value > 0  # type: ignore[union-attr]
        assert _ordered(r.fit_peak_mb).n == FOLDS
        assert r.memory_method
        assert r.size_mb is not None and r.size_mb > 0 and r.size_format == "skops"
        assert r.rows_fitted == 400  # four of five folds
    pick = result.rung(result.recommended or "")
    lat = pick.latency
    assert lat is not None, "the recommended rung is refitted on all rows and timed"
    p50, p99 = _ordered(lat.single_p50_ms), _ordered(lat.single_p99_ms)
    assert _ordered(lat.batch_per_row_ms).value > 0
    assert 0 < p50.value <= p99.value
    assert p50.n == p99.n >= 30  # at least 30 single-row calls
    assert lat.batch_size == 500  # batches are capped at the number of rows
    assert pick.model_rows == "all 500 training rows"
    # one row at a time pays per-call overhead that a batch spreads out
    assert lat.batch_per_row_ms.value < p50.value


def test_mean_interval_of_repeats() -> None:
    e = mean_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert e.value == 3.0 and e.n == 5 and e.low < 3.0 < e.high
    # t interval, 4 degrees of freedom: 2.776 * sd / sqrt(n)
    assert e.high - 3.0 == pytest.approx(2.776 * np.std([1, 2, 3, 4, 5], ddof=1) / np.sqrt(5), 1e-3)
    single = mean_interval([0.25])
    assert (single.low, single.value, single.high) == (0.25, 0.25, 0.25)


@pytest.mark.parametrize("n", [50, 300])
def test_median_interval_covers_the_true_median_95_percent_of_the_time(n: int) -> None:
    rng = np.random.default_rng(12)
    true_median = np.log(2.0)  # of the standard exponential, a skewed latency-like distribution
    hits = [
        quantile_interval(rng.exponential(size=n), 0.5).contains(true_median) for _ in range(400)
    ]
    coverage = float(np.mean(hits))
    # 400 draws of a 95% interval: the binomial sd is 1.1 points, so 0.92-0.98 is about +-3 sd
    # (order statistics make the interval a little conservative, never liberal)
    assert 0.92 <= coverage <= 0.98, coverage


def test_p99_interval_of_a_slow_models_few_calls_covers_the_true_p99() -> None:
    rng = np.random.default_rng(13)
    true_p99 = np.log(100.0)  # of the standard exponential
    hits = [
        quantile_interval(rng.exponential(size=30), 0.99).contains(true_p99) for _ in range(400)
    ]
    assert float(np.mean(hits)) >= 0.92


def test_peak_memory_sees_a_200_mb_allocation() -> None:
    size = 200_000_000
    with peak_memory() as peak:
        block = np.ones(size // 8)  # ones, not empty: the pages are touched, so they are resident
        block[::4096] += 1
    del block
    assert peak.method
    assert peak.bytes >= 0.8 * size, (peak.bytes, peak.method)
    assert peak.bytes < 3 * size  # not the whole process


def test_peak_memory_of_a_block_that_allocates_nothing_is_small() -> None:
    with np.errstate(all="ignore"), peak_memory() as peak:
        pass
    assert peak.bytes < 20_000_000, peak.bytes
