"""The KPIs beyond accuracy, each with its interval and n: what was served, how much went to
people, what they found, how they rated it, how fast it was. Pure: arrays in, a frozen result out.

Methods, chosen so that small queues still get honest intervals:

- shares (exceptions, reviewed, agreement): Wilson score intervals;
- the mean opinion score: Student's t on the scores (n is the number of scores given);
- latency quantiles: distribution-free intervals from order statistics (the ranks a binomial
  puts around the quantile), no assumption about the latency distribution; n is requests;
- throughput: the exact (Garwood) Poisson interval on the count over the period.

Agreement and MOS are measured on *reviewed* predictions, which are routed ones: not a random
sample of traffic. The result says so rather than passing them off as the model's accuracy.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from candor.stats import Estimate, wilson_interval

LEVEL = 0.95

#: how every view (``candor kpis``, the /kpis page, the report) names the KPIs:
#: (label, field of KpiPeriod, decimals, as a percentage, of what)
KPI_ROWS: tuple[tuple[str, str, int, bool, str], ...] = (
    ("served per hour", "per_hour", 1, False, "predictions"),
    ("exception rate", "exception_rate", 1, True, "predictions routed to review"),
    ("share reviewed", "share_reviewed", 1, True, "routed predictions with a verdict"),
    ("agreement with reviewers", "agreement", 1, True, "verdicts that confirmed the model"),
    ("mean opinion score", "mos", 2, False, "scores from 1 to 5"),
    ("latency p50 (ms)", "latency_p50_ms", 2, False, "model time per row; n requests"),
    ("latency p99 (ms)", "latency_p99_ms", 2, False, "model time per row; n requests"),
)


def kpi_figure(e: Estimate | None, digits: int, pct: bool = False) -> str:
    """A KPI's value and interval as its row of ``KPI_ROWS`` says: shares as percentages."""
    if e is None:
        return "no data"
    if pct:
        return f"{100 * e.value:.1f}% ({100 * e.low:.1f}-{100 * e.high:.1f}%)"
    return e.format(digits)


@dataclass(frozen=True, slots=True)
class KpiPeriod:
    """The KPIs over one stretch of time (the whole log, or one bucket of it)."""

    start: float
    end: float
    served: int
    per_hour: Estimate | None
    exception_rate: Estimate | None
    share_reviewed: Estimate | None
    agreement: Estimate | None
    mos: Estimate | None
    latency_p50_ms: Estimate | None
    latency_p99_ms: Estimate | None

    def to_dict(self) -> dict[str, Any]:
        def d(e: Estimate | None) -> dict[str, Any] | None:
            return None if e is None else e.to_dict()

        return {
            "start": self.start,
            "end": self.end,
            "served": self.served,
            "per_hour": d(self.per_hour),
            "exception_rate": d(self.exception_rate),
            "share_reviewed": d(self.share_reviewed),
            "agreement": d(self.agreement),
            "mos": d(self.mos),
            "latency_p50_ms": d(self.latency_p50_ms),
            "latency_p99_ms": d(self.latency_p99_ms),
        }


@dataclass(frozen=True)
class Kpis:
    """The whole log's KPIs, and the same per hour or per day (``bucket``)."""

    total: KpiPeriod
    bucket: str
    over_time: list[KpiPeriod] = field(default_factory=list)
    note: str = (
        "agreement and opinion scores are on reviewed predictions, which were routed for doubt: "
        "they are not a random sample of traffic"
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total.to_dict(),
            "bucket": self.bucket,
            "over_time": [p.to_dict() for p in self.over_time],
            "note": self.note,
        }


def quantile_interval(values: np.ndarray, q: float, level: float = LEVEL) -> Estimate | None:
    """The ``q`` quantile of ``values`` with a distribution-free interval from order statistics.

    >>> e = quantile_interval(np.arange(1, 1001, dtype=float), 0.5)
    >>> (e.value, e.low <= 500 <= e.high, e.method)
    (500.5, True, 'order statistics (distribution-free)')
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return None
    alpha = 1 - level
    # ranks (1-based) l and u with P(X_(l) <= quantile <= X_(u)) >= level
    lo = int(stats.binom.ppf(alpha / 2, n, q))
    hi = int(stats.binom.ppf(1 - alpha / 2, n, q)) + 1
    # too few values to bound the quantile on a side: that side is unbounded, and said so
    low = x[lo - 1] if lo >= 1 else -math.inf
    high = x[hi - 1] if hi <= n else math.inf
    method = "order statistics (distribution-free)"
    if not (math.isfinite(low) and math.isfinite(high)):
        method += f"; {n} values cannot bound the {q:.0%} quantile on both sides"
    return Estimate(float(np.quantile(x, q)), float(low), float(high), level, n, method)


def mean_interval(values: np.ndarray, level: float = LEVEL) -> Estimate | None:
    """A mean with Student's t interval (None without values; no width from one value)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return None
    m = float(x.mean())
    if n == 1:
        return Estimate(m, 1.0, 5.0, level, 1, "one score: no interval narrower than 1-5")
    half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * float(x.std(ddof=1)) / math.sqrt(n)
    return Estimate(m, max(m - half, 1.0), min(m + half, 5.0), level, n, "Student's t")


#: a rate over less time than this is not worth quoting per hour
MIN_RATE_SECONDS = 60.0


def poisson_rate(count: int, hours: float, level: float = LEVEL) -> Estimate | None:
    """Events per hour with the exact (Garwood) interval on the count (None under a minute)."""
    if hours * 3600 < MIN_RATE_SECONDS:
        return None
    alpha = 1 - level
    low = 0.0 if count == 0 else float(stats.chi2.ppf(alpha / 2, 2 * count)) / 2
    high = float(stats.chi2.ppf(1 - alpha / 2, 2 * count + 2)) / 2
    return Estimate(
        count / hours, low / hours, high / hours, level, count, "exact Poisson (Garwood)"
    )


def rows_rate(rows: int, requests: int, hours: float, level: float = LEVEL) -> Estimate | None:
    """Predictions per hour, its interval from the requests that carried them: a batch's rows
    arrive together, so the independent events are the requests (Garwood's interval on their
    count, scaled by the rows each carried on average)."""
    rate = poisson_rate(requests, hours, level)
    if rate is None or requests == 0:
        return rate
    each = rows / requests
    if requests == rows:
        return rate
    return Estimate(
        rows / hours,
        rate.low * each,
        rate.high * each,
        level,
        requests,
        f"exact Poisson (Garwood) on {requests:,} requests of {each:.3g} rows on average",
    )


def _share(k: int, n: int) -> Estimate | None:
    return None if n == 0 else wilson_interval(k, n, LEVEL)


def period_kpis(
    start: float,
    end: float,
    times: np.ndarray,
    latency_ms: np.ndarray,
    routed: np.ndarray,
    reviewed: int,
    agreed: int,
    mos: np.ndarray,
) -> KpiPeriod:
    """The KPIs of one period from its predictions' latencies and routed flags, and its reviews:
    ``reviewed`` routed items with a verdict, ``agreed`` of them confirmed, ``mos`` the scores.

    Latency quantiles are over requests, not rows: the rows of one batch share its time and its
    latency, and counting them as independent would narrow the interval falsely."""
    n = len(latency_ms)
    per_request = np.unique(np.column_stack([times, latency_ms]), axis=0)[:, 1] if n else latency_ms
    k = int(np.count_nonzero(routed))
    hours = (end - start) / 3600
    return KpiPeriod(
        start,
        end,
        n,
        rows_rate(n, len(per_request), hours),
        _share(k, n),
        _share(min(reviewed, k), k),
        _share(agreed, reviewed),
        mean_interval(mos),
        quantile_interval(per_request, 0.5),
        quantile_interval(per_request, 0.99),
    )


def compute_kpis(
    times: np.ndarray,
    latency_ms: np.ndarray,
    routed: np.ndarray,
    verdicts: dict[int, tuple[float, bool]],
    scores: list[tuple[float, int]],
    *,
    now: float | None = None,
) -> Kpis:
    """The KPIs of a log: per prediction its time, latency and routed flag; ``verdicts`` maps a
    prediction's index to (its time, whether the reviewer agreed with the model); ``scores`` are
    (prediction time, MOS). Periods are hours when the log spans two days or less, else days.
    """
    times = np.asarray(times, dtype=float)
    latency_ms = np.asarray(latency_ms, dtype=float)
    routed = np.asarray(routed, dtype=bool)
    if len(times) == 0:
        t0 = t1 = now or 0.0
    else:
        t0, t1 = float(times.min()), float(max(times.max(), now or times.max()))
    step = 3600.0 if t1 - t0 <= 2 * 86400 else 86400.0
    v_times = np.array([t for t, _ in verdicts.values()], dtype=float)
    v_agree = np.array([a for _, a in verdicts.values()], dtype=bool)
    s_times = np.array([t for t, _ in scores], dtype=float)
    s_vals = np.array([s for _, s in scores], dtype=float)
    total = period_kpis(
        t0,
        t1,
        times,
        latency_ms,
        routed,
        len(v_times),
        int(v_agree.sum()),
        s_vals,
    )
    over_time: list[KpiPeriod] = []
    if len(times):
        first = math.floor(t0 / step) * step
        edges = np.arange(first, t1 + step, step)
        for a, b in itertools.pairwise(edges):
            m = (times >= a) & (times < b)
            vm = (v_times >= a) & (v_times < b)
            sm = (s_times >= a) & (s_times < b)
            if not m.any():
                continue
            over_time.append(
                period_kpis(
                    float(a),
                    float(b),
                    times[m],
                    latency_ms[m],
                    routed[m],
                    int(vm.sum()),
                    int(v_agree[vm].sum()),
                    s_vals[sm],
                )
            )
    return Kpis(total, "hour" if step == 3600.0 else "day", over_time)
