"""Measuring a model file in fresh processes: size, load time, memory, latency, throughput.

Each repeat starts two interpreters (``candor.sizing._probe``): one counts memory with Python's
allocator switched to malloc (so glibc's live-byte count sees everything), one times loading and
predicting with the normal allocator. Threads are pinned to one, so latencies and throughput are
per core. Every figure comes back as an :class:`~candor.stats.Estimate` over the repeats (or, for
latency quantiles, over the pooled calls).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor._units import listing
from candor.errors import DataError
from candor.ladder._measure import mean_interval, quantile_interval
from candor.stats import Estimate

#: module prefixes a skops file may name; anything else is refused rather than trusted
SAFE_MODULES = (
    "sklearn.",
    "numpy.",
    "scipy.",
    "lightgbm.",
    "xgboost.",
    "candor.",
    "builtins.",
    "collections.",
    "_operator.",
    "operator.",
)
FORMATS = ("skops", "torch", "lightgbm", "xgboost")
#: single-row calls, over all repeats, for the p99's 95% interval to have an upper bound
P99_CALLS = 400

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")


def detect_format(path: Path) -> str:
    """Which of candor's safe formats a file is in, from its content (not only its name)."""
    if not path.exists():
        raise DataError(f"no model file at {path}: give the path of a saved model")
    if path.is_dir():
        raise DataError(f"{path} is a folder: give the model file itself")
    head = path.read_bytes()[:64]
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
        if "schema.json" in names:
            return "skops"
        if any(n.endswith("data.pkl") for n in names):
            return "torch"
    elif head.startswith(b"tree\n") or head.startswith(b"tree\r\n"):
        return "lightgbm"
    elif (head.lstrip().startswith(b"{") and b'"learner"' in path.read_bytes()[:4096]) or (
        head[:1] == b"{" and path.suffix in (".json", ".ubj")
    ):
        return "xgboost"
    raise DataError(
        f"{path} is not a model file candor can read: give a scikit-learn model saved with "
        "skops (.skops), a candor CNN (.pt), a LightGBM model text file or an XGBoost JSON file"
    )


def trusted_types(path: Path) -> list[str]:
    """The types a skops file needs, refusing any outside scikit-learn and its kin."""
    import skops.io as sio

    try:
        types = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise DataError(f"{path} is not a readable skops file: {exc}") from exc
    foreign = [t for t in types if not t.startswith(SAFE_MODULES)]
    if foreign:
        raise DataError(
            f"{path} names types outside scikit-learn, NumPy, SciPy, LightGBM and XGBoost: "
            f"{listing(foreign)}; candor does not load them (loading runs their code). Check "
            "where the file came from"
        )
    return list(types)


def load_model(path: Path, fmt: str | None = None) -> tuple[Any, str]:
    """Load a model file in this process (safe formats only), with its format."""
    from candor.sizing._probe import load_model as _load

    fmt = fmt or detect_format(path)
    trusted = trusted_types(path) if fmt == "skops" else None
    try:
        return _load(str(path), fmt, trusted), fmt
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"could not load {path} as a {fmt} model: {exc}") from exc


@dataclass(frozen=True)
class Measurement:
    """What a model costs once loaded, measured in fresh single-threaded processes."""

    file_bytes: int
    format: str
    repeats: int
    batch_rows: int
    load_seconds: Estimate
    #: the operating system's count: resident memory added by loading (includes what the
    #: loader freed but the allocator kept)
    resident_bytes: Estimate
    #: the allocator's count of bytes the loaded model holds
    live_bytes: Estimate
    #: added by the first prediction (lazy imports, thread pools, caches)
    first_call_bytes: Estimate
    #: added at the peak of predicting a batch (the batch included)
    batch_peak_bytes: Estimate
    #: a worker's interpreter with the libraries imported, before the model
    process_bytes: Estimate
    single_p50_ms: Estimate
    single_p99_ms: Estimate
    batch_ms_per_row: Estimate
    rows_per_second_per_core: Estimate
    calls: int

    @property
    def peak_bytes(self) -> Estimate:
        """The model's live bytes plus a batch's peak: what the analytic estimate predicts."""
        a, b = self.live_bytes, self.batch_peak_bytes
        return Estimate(
            a.value + b.value,
            a.low + b.low,
            a.high + b.high,
            a.level,
            min(a.n, b.n),
            f"live bytes after loading + peak while predicting {self.batch_rows:,} rows; "
            f"bounds added; {self.repeats} fresh processes",
        )

    @property
    def worker_bytes(self) -> Estimate:
        """What one serving worker needs: interpreter and libraries, the model as the operating
        system counts it, the first call's caches and a batch's peak."""
        parts = [
            self.process_bytes,
            self.resident_bytes,
            self.first_call_bytes,
            self.batch_peak_bytes,
        ]
        return Estimate(
            sum(p.value for p in parts),
            sum(p.low for p in parts),
            sum(p.high for p in parts),
            parts[0].level,
            min(p.n for p in parts),
            "interpreter + resident model + first-call caches + batch peak; bounds added",
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "file_bytes": self.file_bytes,
            "format": self.format,
            "repeats": self.repeats,
            "batch_rows": self.batch_rows,
            "calls": self.calls,
        }
        for name in (
            "load_seconds",
            "resident_bytes",
            "live_bytes",
            "first_call_bytes",
            "batch_peak_bytes",
            "process_bytes",
            "single_p50_ms",
            "single_p99_ms",
            "batch_ms_per_row",
            "rows_per_second_per_core",
        ):
            out[name] = getattr(self, name).to_dict()
        out["peak_bytes"] = self.peak_bytes.to_dict()
        out["worker_bytes"] = self.worker_bytes.to_dict()
        return out


def _env(mode: str) -> dict[str, str]:
    env = dict(os.environ)
    for var in _THREAD_VARS:
        env[var] = "1"
    # large arrays always get fresh pages, so the kernel's high-water mark sees a batch's arrays
    env["MALLOC_MMAP_THRESHOLD_"] = "131072"
    if mode == "memory":
        env["PYTHONMALLOC"] = "malloc"
    else:
        env.pop("PYTHONMALLOC", None)
    return env


def _probe(spec: dict[str, Any], workdir: Path, timeout: float) -> dict[str, Any]:
    spec_path = workdir / f"spec-{spec['mode']}-{spec['seed']}.json"
    out_path = workdir / f"out-{spec['mode']}-{spec['seed']}.json"
    spec_path.write_text(json.dumps(spec))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "candor.sizing._probe", str(spec_path), str(out_path)],
            env=_env(spec["mode"]),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise DataError(
            f"measuring the model took longer than {timeout:.0f} s in one process; give a smaller "
            "--batch or a longer --timeout"
        ) from exc
    if not out_path.exists():
        tail = (done.stderr or "").strip().splitlines()[-3:]
        raise DataError(
            "the measuring process ended without a result (exit code "
            f"{done.returncode}): " + " | ".join(tail)
        )
    result: dict[str, Any] = json.loads(out_path.read_text())
    if "error" in result:
        first = str(result["error"]).strip().splitlines()[0]
        raise DataError(f"the model could not be measured: {first}")
    return result


def probe_memory(
    path: str | Path, sample: pd.DataFrame, *, batch: int = 1000, fmt: str | None = None
) -> dict[str, Any]:
    """One memory-counting process: live bytes after loading and a batch's peak (for checks)."""
    path = Path(path)
    fmt = fmt or detect_format(path)
    with tempfile.TemporaryDirectory(prefix="candor-size-") as tmp:
        work = Path(tmp)
        data = work / "sample.parquet"
        sample.reset_index(drop=True).to_parquet(data)
        spec = {
            "model": str(path.resolve()),
            "format": fmt,
            "sample": str(data),
            "batch": batch,
            "mode": "memory",
            "seed": 0,
        }
        return _probe(spec, work, 300.0)


def _quantile_ms(values: list[float], q: float) -> Estimate:
    est = quantile_interval(np.asarray(values) * 1000, q)
    return est


def measure(
    path: str | Path,
    sample: pd.DataFrame,
    *,
    batch: int = 1000,
    repeats: int = 3,
    max_seconds: float = 1.0,
    timeout: float = 300.0,
    fmt: str | None = None,
) -> Measurement:
    """Measure a saved model on rows like ``sample``: ``repeats`` pairs of fresh processes."""
    path = Path(path)
    fmt = fmt or detect_format(path)
    if fmt == "skops":
        trusted_types(path)
    if repeats < 2:
        raise DataError(f"--repeats {repeats}: at least 2 are needed for an interval")
    if batch < 1:
        raise DataError(f"--batch {batch}: give a positive number of rows")
    if len(sample) == 0:
        raise DataError("no rows to predict: sizing needs a sample of the model's input")
    runs: dict[str, list[dict[str, Any]]] = {"memory": [], "time": []}
    with tempfile.TemporaryDirectory(prefix="candor-size-") as tmp:
        work = Path(tmp)
        data = work / "sample.parquet"
        sample.reset_index(drop=True).to_parquet(data)
        for r in range(repeats):
            for mode in ("memory", "time"):
                spec = {
                    "model": str(path.resolve()),
                    "format": fmt,
                    "sample": str(data),
                    "batch": batch,
                    "mode": mode,
                    "seed": r,
                    "max_seconds": max_seconds,
                    # p99 needs about 380 calls in all before order statistics bound it above
                    "min_calls": max(50, -(-P99_CALLS // repeats)),
                }
                runs[mode].append(_probe(spec, work, timeout))

    def over(mode: str, key: str, what: str, scale: float = 1.0) -> Estimate:
        values = [float(run[key]) * scale for run in runs[mode] if run.get(key) is not None]
        if not values:
            nan = float("nan")
            return Estimate(nan, nan, nan, 0.95, 0, f"{what}: not measurable on this system")
        return mean_interval(values, method=f"{what}; t over {len(values)} fresh processes")

    single = [s for run in runs["time"] for s in run["single_seconds"]]
    per_row = [s for run in runs["time"] for s in run["batch_seconds_per_row"]]
    batch_ms = mean_interval(
        [s * 1000 for s in per_row], method=f"t over {len(per_row)} batches of {batch:,} rows"
    )
    rate = Estimate(
        1000.0 / batch_ms.value,
        1000.0 / batch_ms.high if batch_ms.high > 0 else float("inf"),
        1000.0 / batch_ms.low if batch_ms.low > 0 else float("inf"),
        batch_ms.level,
        batch_ms.n,
        f"rows per second on one core in batches of {batch:,}; inverted from the time per row",
    )
    return Measurement(
        file_bytes=path.stat().st_size,
        format=fmt,
        repeats=repeats,
        batch_rows=batch,
        load_seconds=over("time", "load_seconds", "time to load the file"),
        resident_bytes=over("memory", "rss_after_load", "resident memory added by loading"),
        live_bytes=over("memory", "live_bytes", "bytes the allocator holds for the model"),
        first_call_bytes=over("memory", "first_call_bytes", "resident memory of the first call"),
        batch_peak_bytes=over(
            "memory", "batch_peak_bytes", f"peak resident memory predicting {batch:,} rows"
        ),
        process_bytes=over(
            "time",
            "base_rss",
            "Python with NumPy, pandas, scikit-learn and skops (and PyTorch only for a network), "
            "before the model",
        ),
        single_p50_ms=_quantile_ms(single, 0.5),
        single_p99_ms=_quantile_ms(single, 0.99),
        batch_ms_per_row=batch_ms,
        rows_per_second_per_core=rate,
        calls=len(single),
    )
