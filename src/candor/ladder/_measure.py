"""Measuring a model: fit time, peak memory while fitting, predict latency, serialized size."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats as sps

from candor.stats import Estimate

_PROC = Path("/proc/self")


@dataclass
class Peak:
    """Peak resident memory added while a block ran, in bytes (filled in when it ends)."""

    bytes: int = 0
    method: str = field(default="")


def _rss_kib(key: str) -> int | None:
    try:
        for line in (_PROC / "status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


@contextmanager
def peak_memory() -> Iterator[Peak]:
    """Measure the peak resident memory a block adds.

    On Linux the kernel's high-water mark is reset before the block (``/proc/self/clear_refs``) and
    read after it, so memory allocated by native code (LightGBM, XGBoost, BLAS) counts too.
    Elsewhere Python's ``tracemalloc`` stands in; it sees Python and NumPy allocations only.
    """
    peak = Peak()
    before = _rss_kib("VmRSS")
    reset = False
    if before is not None:
        try:
            (_PROC / "clear_refs").write_text("5")
            reset = True
        except OSError:
            reset = False
    if not reset:
        tracemalloc.start()
    try:
        yield peak
    finally:
        if reset and before is not None:
            high = _rss_kib("VmHWM") or before
            peak.bytes = max(0, high - before) * 1024
            peak.method = "resident high-water mark"
        else:
            _, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peak.bytes = top
            peak.method = "tracemalloc (Python and NumPy allocations only)"


def mean_interval(values: list[float], level: float = 0.95, method: str = "") -> Estimate:
    """The mean of a few repeated measurements with its t interval (n = repeats)."""
    a = np.asarray(values, dtype=float)
    n = len(a)
    mean = float(a.mean())
    if n < 2 or float(a.std()) == 0.0:
        return Estimate(mean, mean, mean, level, n, method or "single measurement")
    half = float(sps.t.ppf(0.5 + level / 2, n - 1) * a.std(ddof=1) / np.sqrt(n))
    return Estimate(
        mean, max(0.0, mean - half), mean + half, level, n, method or f"t over {n} repeats"
    )


def quantile_interval(values: Any, q: float, level: float = 0.95) -> Estimate:
    """A quantile of measurements with its distribution-free interval from order statistics.

    >>> est = quantile_interval(range(1, 1001), 0.5)
    >>> est.value, est.low <= 500 <= est.high
    (500.5, True)
    """
    a = np.sort(np.asarray(values, dtype=float))
    n = len(a)
    value = float(np.quantile(a, q))
    lo_rank = int(sps.binom.ppf((1 - level) / 2, n, q))
    hi_rank = int(sps.binom.ppf(0.5 + level / 2, n, q)) + 1
    # too few values to bound an extreme quantile: say so with an infinite bound
    low = float(a[lo_rank - 1]) if lo_rank >= 1 else float("-inf")
    high = float(a[hi_rank - 1]) if hi_rank <= n else float("inf")
    method = "order statistics"
    if low == float("-inf") or high == float("inf"):
        method += f" ({n} values cannot bound the {q:.0%} quantile on both sides)"
    return Estimate(value, min(low, value), max(high, value), level, n, method)


@dataclass(frozen=True)
class Latency:
    """Predict latency per row: single-row calls and batched calls."""

    single_p50_ms: Estimate
    single_p99_ms: Estimate
    batch_per_row_ms: Estimate
    batch_size: int


def predict_latency(
    predict: Callable[[Any], Any],
    X: Any,
    *,
    max_calls: int = 300,
    min_calls: int = 30,
    max_seconds: float = 0.1,
    batch_size: int = 1000,
) -> Latency:
    """Time ``predict`` on one row at a time and on batches; every figure with its interval.

    Single-row calls go on until ``max_calls`` or ``max_seconds`` (but at least ``min_calls``): a
    slow model gets fewer calls and so a wider interval on its p99, which says so through its n.
    """
    n = len(X)
    rows = np.random.default_rng(0).integers(0, n, max_calls)
    predict(X.iloc[[0]])  # warm-up: first calls pay for imports and caches
    single: list[float] = []
    spent = 0.0
    for i in rows:
        row = X.iloc[[int(i)]]
        t = time.perf_counter()
        predict(row)
        took = time.perf_counter() - t
        single.append(took * 1000)
        spent += took
        if spent > max_seconds and len(single) >= min_calls:
            break
    size = min(batch_size, n)
    per_row = []
    spent = 0.0
    for r in range(5):
        batch = X.iloc[np.random.default_rng(r).integers(0, n, size)]
        t = time.perf_counter()
        predict(batch)
        took = time.perf_counter() - t
        per_row.append(took * 1000 / size)
        spent += took
        if spent > max_seconds and len(per_row) >= 2:
            break
    return Latency(
        quantile_interval(single, 0.5),
        quantile_interval(single, 0.99),
        mean_interval(per_row, method=f"t over {len(per_row)} batches"),
        size,
    )


def model_bytes(model: Any) -> tuple[bytes, str, str]:
    """The model in the format candor stores it in, with the format's name and a file name.

    Safe formats only: a torch ``state_dict`` for networks, skops (no pickle) for the rest.
    """
    if hasattr(model, "to_bytes"):
        return model.to_bytes(), "torch state_dict", "cnn.pt"
    import skops.io as sio

    return sio.dumps(model), "skops", "model.skops"


def native_files(model: Any) -> dict[str, bytes]:
    """Boosters in their own library's format too (text for LightGBM, JSON for XGBoost).

    The skops file holds the whole pipeline (preprocessing included); these let LightGBM's or
    XGBoost's own tools read the trees.
    """
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    if hasattr(final, "booster_"):
        return {"model/lightgbm_booster.txt": final.booster_.model_to_string().encode()}
    if hasattr(final, "get_booster"):
        return {"model/xgboost_booster.json": bytes(final.get_booster().save_raw("json"))}
    return {}


def serialized_size(model: Any) -> tuple[int, str]:
    """Bytes of the model in the format candor stores it in."""
    data, fmt, _ = model_bytes(model)
    return len(data), fmt
