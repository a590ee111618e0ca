"""The audit at scale: 1,000,000 train + 250,000 test rows x 52 mixed columns, with planted leaks.

Prints each check's wall time, the whole audit's, peak resident memory against the data's in-memory
size, and which planted leaks were found. bench/audit_vs_deepchecks.py runs the same data through
Deepchecks' train_test_validation suite.

    OMP_NUM_THREADS=2 .venv/bin/python bench/audit.py [--train-rows 1000000 --test-rows 250000]
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import time

import numpy as np
import pandas as pd

from candor.audit import CHECKS, audit


def make(n: int, rng: np.random.Generator) -> pd.DataFrame:
    cols: dict[str, object] = {f"f{i}": rng.normal(size=n) for i in range(30)}
    cols.update({f"i{i}": rng.integers(0, 1000, n) for i in range(10)})
    levels = [f"v{j}" for j in range(20)]
    cols.update({f"c{i}": pd.Categorical(rng.choice(levels, n)) for i in range(9)})
    frame = pd.DataFrame(cols)
    frame["y"] = (frame["f0"] + rng.normal(scale=2, size=n) > 0).astype(int)
    # a leaking pair: the balance (due minus paid) is the outcome, neither amount alone is
    frame["amount_paid"] = rng.gamma(2, 50, n).round(2)
    frame["amount_due"] = (frame["amount_paid"] + frame["y"] * rng.uniform(5, 20, n)).round(2)
    return frame


def planted(train_rows: int, test_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test tables with planted leaks.

    1% of test rows are exact copies of training rows, 1% rounded copies (one column to 4 decimals),
    1% scaled copies (every number x100, as after a change of units); a column that is the target
    (``refund_issued``); and a pair whose difference is the target (``amount_due - amount_paid``).
    """
    rng = np.random.default_rng(0)
    train, test = make(train_rows, rng), make(test_rows, rng)
    k = copies(test_rows)
    test.iloc[:k] = train.iloc[:k].to_numpy()
    near = train.iloc[k : 2 * k].copy()
    near["f1"] = near["f1"].round(4)
    test.iloc[k : 2 * k] = near.to_numpy()
    scaled = train.iloc[2 * k : 3 * k].copy()
    numbers = [c for c in scaled.columns if c != "y" and pd.api.types.is_numeric_dtype(scaled[c])]
    scaled[numbers] = scaled[numbers] * 100
    test.iloc[2 * k : 3 * k] = scaled.to_numpy()
    for frame in (train, test):
        frame["refund_issued"] = frame["y"]
    return train, test


def copies(test_rows: int) -> int:
    """How many test rows each kind of planted copy takes."""
    return max(10, test_rows // 100)


def leaks_found(findings: list[dict[str, object]], test_rows: int) -> dict[str, bool]:
    """Which planted leaks a list of candor findings (check, severity, title, count) caught."""
    errors = [f for f in findings if f["severity"] == "error"]
    near = sum(int(f["count"]) for f in errors if f["check"] == "near_duplicates")  # type: ignore[call-overload]
    titles = " ".join(str(f["title"]) for f in errors if f["check"] == "target_leakage")
    return {
        "exact copies": any(f["check"] == "exact_duplicates" for f in errors),
        "rounded and scaled copies": near >= 2 * copies(test_rows),
        "target proxy": "'refund_issued' alone" in titles,
        "leaking pair": "'amount_paid' and 'amount_due'" in titles
        or "'amount_due' and 'amount_paid'" in titles,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--train-rows", type=int, default=1_000_000)
    ap.add_argument("--test-rows", type=int, default=250_000)
    args = ap.parse_args()
    train, test = planted(args.train_rows, args.test_rows)
    size_mb = (train.memory_usage(deep=True).sum() + test.memory_usage(deep=True).sum()) / 1e6
    print(
        f"data: {len(train):,} + {len(test):,} rows x {train.shape[1] - 1} features, {size_mb:,.0f} MB in memory"
    )
    for name in CHECKS:
        t = time.perf_counter()
        found = audit(train, test, "y", checks=[name]).findings
        print(
            f"  {name:17} {time.perf_counter() - t:6.1f} s  {[f.severity for f in found]}",
            flush=True,
        )
    t = time.perf_counter()
    report = audit(train, test, "y")
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(
        f"whole audit: {wall:.1f} s; peak RSS {peak:,.0f} MB = {peak / size_mb:.1f}x the data (process total)"
    )
    found = leaks_found([dataclasses.asdict(f) for f in report.findings], len(test))
    print(f"planted leaks found as errors: {[k for k, v in found.items() if v]}")
    print(f"missed: {[k for k, v in found.items() if not v]}")


if __name__ == "__main__":
    main()
