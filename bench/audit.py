"""The audit at scale: 1,000,000 train + 250,000 test rows x 50 mixed columns, with planted leaks.

Prints each check's wall time, the whole audit's, peak resident memory against the data's in-memory
size, and which planted leaks were found. (The side-by-side run against Deepchecks'
train_test_validation suite, in its own virtual environment, is still to be added.)

    .venv/bin/python bench/audit.py [--train-rows 1000000 --test-rows 250000]
"""

from __future__ import annotations

import argparse
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
    return frame


def planted(train_rows: int, test_rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test tables with planted leaks: 1% exact copies, 1% rounded copies, a target proxy."""
    rng = np.random.default_rng(0)
    train, test = make(train_rows, rng), make(test_rows, rng)
    k = max(10, test_rows // 100)
    test.iloc[:k] = train.iloc[:k].to_numpy()
    near = train.iloc[k : 2 * k].copy()
    near["f1"] = near["f1"].round(4)
    test.iloc[k : 2 * k] = near.to_numpy()
    for frame in (train, test):
        frame["refund_issued"] = frame["y"]
    return train, test


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
    expected = {"exact_duplicates", "near_duplicates", "target_leakage"}
    errors = {f.check for f in report.findings if f.severity == "error"}
    print(
        f"whole audit: {wall:.1f} s; peak RSS {peak:,.0f} MB = {peak / size_mb:.1f}x the data (process total)"
    )
    print(
        f"planted leaks found as errors: {sorted(expected & errors)}; missed: {sorted(expected - errors)}"
    )


if __name__ == "__main__":
    main()
