"""How far to trust candor's learning-curve forecasts: a backtest panel.

For every dataset x rung x metric, ``candor.forecast.backtest`` fits the rung on nested subsets of
each cross-validation fold's training rows (anchors spaced by sqrt(2), from 20 rows up to all of a
fold's training rows), hides every anchor above 25% of the largest, forecasts the largest (100%)
from the rest, and compares with what was measured. Reported: the mean absolute error of that
forecast, how often its 90% interval held the measured score, and, as the baseline a forecaster
must beat (LCDB's "last1"), the error of quoting the largest visible anchor's score instead.

Datasets: scikit-learn's bundled breast_cancer and digits, and a generated 6,000-row
classification set (make_classification, seed 1); wine and iris are too small (25% of a fold is
under 3 anchors of 20 rows) and are reported as skipped.

    .venv/bin/python bench/forecast.py [--metrics roc_auc,accuracy] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from candor.errors import DataError
from candor.forecast import backtest

RUNGS = [
    "linear",
    "naive_bayes",
    "knn",
    "svm_rbf",
    "decision_tree",
    "random_forest",
    "hist_gb",
    "lightgbm",
    "mlp",
]


def datasets() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification

    out = {}
    for name, load in [
        ("breast_cancer", load_breast_cancer),
        ("digits", load_digits),
        ("wine", load_wine),
    ]:
        X, y = load(return_X_y=True, as_frame=True)
        out[name] = (X, y)
    X, y = make_classification(6000, 20, n_informative=8, flip_y=0.05, random_state=1)
    out["generated_6k"] = (pd.DataFrame(X, columns=[f"f{i}" for i in range(20)]), pd.Series(y))
    return out


def summarise(df: pd.DataFrame) -> None:
    """The panel's table: MAEs with t intervals over backtests, coverage with Wilson's."""
    from candor.ladder._measure import mean_interval
    from candor.stats import wilson_interval

    print(
        "\n| metric | backtests | forecast MAE (95% CI) | last-anchor MAE (95% CI) "
        "| forecast beat last anchor | 90% interval held (95% Wilson CI) |"
    )
    print("|---|---|---|---|---|---|")
    for metric, g in df.groupby("metric", sort=False):
        mae = mean_interval(list(g.error.abs()))
        last = mean_interval(list(g.last1_error.abs()))
        beat = int((g.error.abs() < g.last1_error.abs()).sum())
        held = wilson_interval(int(g.covered.sum()), len(g))
        print(
            f"| {metric} | {len(g)} | {mae.format(4)} | {last.format(4)} | {beat}/{len(g)} "
            f"| {int(g.covered.sum())}/{len(g)} = {held.format(2)} |"
        )
    if "time_forecast" not in df:
        return
    t = df.dropna(subset=["time_forecast", "time_measured"])
    t = t[t.metric == t.metric.iloc[0]]  # one metric's runs: the fits are the same for each
    ratio = np.log(t.time_forecast / t.time_measured)
    held_t = ((t.time_low <= t.time_measured) & (t.time_measured <= t.time_high)).sum()
    wt = wilson_interval(int(held_t), len(t))
    from candor.forecast._run import repeat_mean

    geo = repeat_mean(ratio.to_numpy(), 0.95)  # t interval; log ratios may be negative
    assert geo is not None
    print(
        f"\nfit time at 100% forecast from anchors up to 25%, {len(t)} backtests: forecast / "
        f"measured, geometric mean {np.exp(geo.value):.2f} (95% CI {np.exp(geo.low):.2f}-"
        f"{np.exp(geo.high):.2f}), within 2x in {int((ratio.abs() < np.log(2)).sum())}/{len(t)}; "
        f"90% interval held {int(held_t)}/{len(t)} = {wt.format(2)}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--metrics", default="roc_auc,accuracy")
    ap.add_argument("--rungs", default=",".join(RUNGS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "forecast.json"))
    ap.add_argument("--summarise", metavar="JSON", help="Only print the table of a saved run.")
    args = ap.parse_args()
    if args.summarise:
        summarise(pd.DataFrame(json.loads(Path(args.summarise).read_text())["rows"]))
        return
    rows, skipped = [], []
    began = time.perf_counter()
    for name, (X, y) in datasets().items():
        for metric in args.metrics.split(","):
            for rung in args.rungs.split(","):
                try:
                    b = backtest(X, y, rung=rung, metric=metric, n_jobs=args.jobs)
                except DataError as exc:
                    skipped.append((name, metric, rung, str(exc)))
                    continue
                f = b.final
                rows.append(
                    {
                        "dataset": name,
                        "metric": metric,
                        "rung": rung,
                        "from_rows": b.used_rows,
                        "rows": f.rows,
                        "measured": f.truth,
                        "forecast": f.forecast.value,
                        "low": f.forecast.low,
                        "high": f.forecast.high,
                        "error": f.error,
                        "covered": f.covered,
                        "last1_error": f.last_anchor - f.truth,
                        "time_forecast": None if f.fit_seconds is None else f.fit_seconds.value,
                        "time_low": None if f.fit_seconds is None else f.fit_seconds.low,
                        "time_high": None if f.fit_seconds is None else f.fit_seconds.high,
                        "time_measured": (
                            None if f.measured_seconds is None else f.measured_seconds.value
                        ),
                        # every anchor, visible and hidden, so forecasters can be compared offline
                        "anchor_sizes": [int(v) for v in b.anchors.sizes],
                        "anchor_scores": [
                            [None if np.isnan(v) else float(v) for v in r] for r in b.anchors.scores
                        ],
                        "anchor_seconds": [
                            [None if np.isnan(v) else float(v) for v in r]
                            for r in b.anchors.fit_seconds
                        ],
                    }
                )
                print(
                    f"{name:14s} {metric:9s} {rung:14s} {b.used_rows:>5,} -> {f.rows:>5,} rows: "
                    f"measured {f.truth:.3f}, forecast {f.forecast.format()} "
                    f"error {f.error:+.3f} {'held' if f.covered else 'MISSED'}; "
                    f"last anchor {f.last_anchor - f.truth:+.3f}",
                    flush=True,
                )
    df = pd.DataFrame(rows)
    print(
        f"\nskipped: {len({(s[0]) for s in skipped})} dataset(s): "
        + "; ".join(sorted({f"{s[0]} ({s[3][:80]})" for s in skipped}))
    )
    summarise(df)
    print(f"\n{time.perf_counter() - began:.0f} s on this machine")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"rows": rows, "skipped": skipped}, indent=1))


if __name__ == "__main__":
    main()
