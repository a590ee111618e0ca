"""KPIs with honest intervals: each interval covers the true value about as often as it says,
and the periods split the log by hour or by day."""

from __future__ import annotations

import numpy as np
import pytest

from candor.serving._kpis import compute_kpis, mean_interval, poisson_rate, quantile_interval


@pytest.mark.slow
@pytest.mark.parametrize("q", [0.5, 0.99])
def test_the_latency_quantiles_interval_covers_the_true_quantile_about_95_percent(q: float) -> None:
    rng = np.random.default_rng(0)
    true = float(-np.log(1 - q))  # exponential(1) latencies: heavy right tail like real ones
    hits = 0
    reps = 1000
    for _ in range(reps):
        e = quantile_interval(rng.exponential(size=500), q)
        assert e is not None
        hits += e.low <= true <= e.high
    # distribution-free intervals are conservative by construction: at least 95%, not much more
    assert 0.93 <= hits / reps <= 0.99, hits / reps


@pytest.mark.slow
def test_the_opinion_scores_interval_covers_the_true_mean_about_95_percent() -> None:
    rng = np.random.default_rng(1)
    p = np.array([0.05, 0.1, 0.2, 0.4, 0.25])  # scores 1..5
    true = float((np.arange(1, 6) * p).sum())
    reps, hits = 2000, 0
    for _ in range(reps):
        e = mean_interval(rng.choice(np.arange(1, 6), size=40, p=p))
        assert e is not None
        hits += e.low <= true <= e.high
    assert 0.93 <= hits / reps <= 0.97, hits / reps


def test_the_throughputs_interval_covers_the_true_rate_about_95_percent() -> None:
    rng = np.random.default_rng(2)
    rate, hours, reps, hits = 30.0, 2.0, 2000, 0
    for _ in range(reps):
        e = poisson_rate(int(rng.poisson(rate * hours)), hours)
        assert e is not None
        hits += e.low <= rate <= e.high
    assert 0.94 <= hits / reps <= 0.98, hits / reps


def test_no_figure_without_data_and_no_rate_over_less_than_a_minute() -> None:
    assert quantile_interval(np.array([]), 0.5) is None
    assert mean_interval(np.array([])) is None
    assert poisson_rate(10, 30 / 3600) is None
    one = mean_interval(np.array([4.0]))
    assert one is not None and (one.low, one.high, one.n) == (1.0, 5.0, 1)


def test_kpis_count_exceptions_reviews_agreement_and_scores() -> None:
    t0 = 1_700_000_000.0
    times = t0 + np.arange(100) * 30.0  # 100 predictions over 50 minutes
    routed = np.zeros(100, dtype=bool)
    routed[:20] = True
    verdicts = {i: (float(times[i]), i < 8) for i in range(10)}  # 10 reviewed, 8 agreed
    scores = [(float(times[i]), 4) for i in range(5)] + [(float(times[5]), 2)]
    k = compute_kpis(times, np.full(100, 3.0), routed, verdicts, scores, now=times[-1])
    t = k.total
    assert t.served == 100
    assert t.exception_rate is not None and (t.exception_rate.value, t.exception_rate.n) == (
        0.2,
        100,
    )
    assert t.share_reviewed is not None and (t.share_reviewed.value, t.share_reviewed.n) == (
        0.5,
        20,
    )
    assert t.agreement is not None and (t.agreement.value, t.agreement.n) == (0.8, 10)
    assert t.mos is not None and t.mos.n == 6 and t.mos.value == pytest.approx(22 / 6)
    assert t.latency_p99_ms is not None and t.latency_p99_ms.value == 3.0
    assert t.per_hour is not None and t.per_hour.low < 100 / (t.end - t.start) * 3600
    assert t.exception_rate.low < 0.2 < t.exception_rate.high
    assert k.bucket == "hour" and sum(p.served for p in k.over_time) == 100
    assert "not a random sample" in k.note


def test_a_log_spanning_weeks_is_split_by_day() -> None:
    t0 = 1_700_000_000.0
    times = t0 + np.arange(0, 14 * 86400, 3600.0)
    k = compute_kpis(times, np.ones(len(times)), np.zeros(len(times), bool), {}, [])
    assert k.bucket == "day"
    assert 14 <= len(k.over_time) <= 15
    assert all(p.agreement is None and p.mos is None for p in k.over_time)
    assert k.to_dict()["over_time"][0]["exception_rate"]["method"] == "Wilson"


def test_the_rows_of_one_batch_count_once_in_the_latency_quantiles() -> None:
    t0 = 1_700_000_000.0
    times = np.array([t0] * 100 + [t0 + 1, t0 + 2])  # one batch of 100 rows, two single rows
    latency = np.array([0.5] * 100 + [4.0, 6.0])
    k = compute_kpis(times, latency, np.zeros(102, bool), {}, []).total
    assert k.served == 102
    assert k.latency_p50_ms is not None and k.latency_p50_ms.n == 3
    assert k.latency_p50_ms.value == 4.0


def test_too_few_requests_leave_the_p99_unbounded_above_and_say_so() -> None:
    e = quantile_interval(np.arange(1.0, 18.0), 0.99)  # 17 values
    assert e is not None and e.high == float("inf")
    assert "17 values cannot bound the 99% quantile on both sides" in e.method
    big = quantile_interval(np.arange(1.0, 2001.0), 0.99)
    assert big is not None and np.isfinite(big.high) and "cannot" not in big.method


def test_the_rate_of_batched_rows_is_as_uncertain_as_the_requests_that_carried_them() -> None:
    t0 = 1_700_000_000.0
    times = np.repeat(t0 + np.arange(10) * 360.0, 100)  # 10 requests of 100 rows over an hour
    latency = np.repeat(np.arange(10) + 1.0, 100)
    k = compute_kpis(times, latency, np.zeros(1000, bool), {}, [], now=t0 + 3600).total
    rate = k.per_hour
    assert rate is not None and rate.n == 10 and "10 requests of 100 rows" in rate.method
    assert rate.value == pytest.approx(1000.0)
    # Garwood's 95% interval on 10 events is 4.8-18.4: times 100 rows, not that of 1,000 events
    assert rate.low == pytest.approx(479.5, rel=1e-3) and rate.high == pytest.approx(1839, rel=1e-3)
    single = compute_kpis(
        t0 + np.arange(10) * 360.0, np.ones(10), np.zeros(10, bool), {}, [], now=t0 + 3600
    ).total.per_hour
    assert single is not None and single.method == "exact Poisson (Garwood)" and single.n == 10
