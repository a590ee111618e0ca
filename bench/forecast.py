"""How far to trust candor's learning-curve forecasts: a backtest panel.

For every dataset x rung x metric, ``candor.forecast.backtest`` fits the rung on nested subsets of
each cross-validation fold's training rows (anchors spaced by sqrt(2), from 20 rows up to all of a
fold's training rows), hides every anchor above 25% of the largest, forecasts the largest (100%)
from the rest, and compares with what was measured. Reported: the mean absolute error of that
forecast, how often its 90% interval held the measured score, and, as the baseline a forecaster
must beat (LCDB's "last1"), the error of quoting the largest visible anchor's score instead.

The measured score at 100% is itself an estimate. The backtest's own comes from one partition
into 5 folds (its repeats reuse those folds and the model's seed, so at 100% they refit the same
rows), and another partition would have given another truth: a perfect forecaster would show that
noise as error. So each forecast is also compared with a steadier truth, the mean score at the
same size over ``--truth-rounds`` fold partitions: the backtest's own and further ones, each what
``backtest(seed=s)`` would measure there (folds, subset order and model seed from ``s``). The
forecast itself is the same either way. Both truths are reported, with their standard errors.

Datasets: scikit-learn's bundled breast_cancer and digits, and a generated 6,000-row
classification set (make_classification, seed 1); wine and iris are too small (25% of a fold is
under 3 anchors of 20 rows) and are reported as skipped.

    .venv/bin/python bench/forecast.py [--metrics roc_auc,accuracy] [--jobs 2] [--truth-rounds 6]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor.errors import DataError
from candor.forecast import backtest
from candor.forecast._run import BacktestPoint, _set_up

#: the truths a forecast is compared with: (name in the table, suffix of its columns in the rows)
TRUTHS = [
    ("backtest's own (1 fold partition)", ""),
    ("mean over {R} fold partitions", "_better"),
]

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


def partition_scores(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    rung: str,
    metric: str,
    rows: int,
    own: np.ndarray,
    rounds: int,
    n_jobs: int,
) -> list[np.ndarray]:
    """Scores of ``rung`` trained on ``rows`` rows of each fold, over ``rounds`` fold partitions.

    The first partition is the backtest's own: ``own``, the scores it measured at ``rows``. Each
    further one (seeds 1, 2, ...) is set up and measured by the same code the backtest uses, so
    its scores are what ``backtest(seed=s)`` would measure at that size.
    """
    out = [own]
    for s in range(1, rounds):
        setup = _set_up(X, y, rung, None, metric, None, None, s)
        if setup.pool < rows:  # stratified folds have the same sizes whatever the seed
            raise DataError(f"seed {s}'s folds train on {setup.pool:,} rows, fewer than {rows:,}")
        # one repeat: fits take their rows in index order, so at a fold's full size a second repeat
        # would refit the same rows (less one where a fold has a row more) with the same model
        # seed, and add next to nothing
        out.append(setup.measure([rows], 1, n_jobs, None).scores[:, 0])
    return out


def truth_columns(
    X: pd.DataFrame,
    y: pd.Series,
    rung: str,
    metric: str,
    f: BacktestPoint,
    own: np.ndarray,
    rounds: int,
    n_jobs: int,
) -> dict[str, Any]:
    """The truths' standard errors and, with ``rounds`` above 1, the forecast ``f`` judged against
    the mean over ``rounds`` partitions (columns suffixed ``_better``)."""
    # the t interval's standard error treats the backtest's fits as independent; they share one
    # partition, and its repeats refit (nearly) the same rows, so it is too small
    out: dict[str, Any] = {"truth_se_fits": float(own.std(ddof=1) / np.sqrt(len(own)))}
    if rounds < 2:
        return out
    scores = partition_scores(
        X, y, rung=rung, metric=metric, rows=f.rows, own=own, rounds=rounds, n_jobs=n_jobs
    )
    means = np.array([np.nanmean(v) for v in scores])
    means = means[np.isfinite(means)]
    better = float(means.mean())
    # the partitions are drawn independently, so their means are independent draws of the
    # backtest's truth: their spread is that truth's standard error
    spread = float(means.std(ddof=1))
    return out | {
        "truth_partitions": len(means),
        "partition_means": [float(v) for v in means],
        "measured_better": better,
        "error_better": f.forecast.value - better,
        "covered_better": f.forecast.contains(better),
        "last1_error_better": f.last_anchor - better,
        "truth_se_partition": spread,
        "truth_se_better": spread / np.sqrt(len(means)),
    }


def summarise(df: pd.DataFrame) -> None:
    """The panel's table, against each truth the rows hold: MAEs with t intervals over backtests,
    coverage with Wilson's; then the truths' own standard errors."""
    from candor.ladder._measure import mean_interval
    from candor.stats import wilson_interval

    print(
        "\n| metric | truth | backtests | forecast MAE (95% CI) | last-anchor MAE (95% CI) "
        "| forecast beat last anchor | 90% interval held (95% Wilson CI) |"
    )
    print("|---|---|---|---|---|---|---|")
    rounds = int(df.truth_partitions.iloc[0]) if "truth_partitions" in df else 1
    for metric, g in df.groupby("metric", sort=False):
        for label, suffix in TRUTHS:
            if f"error{suffix}" not in g:
                continue
            err, last1 = g[f"error{suffix}"].abs(), g[f"last1_error{suffix}"].abs()
            covered = g[f"covered{suffix}"].astype(bool)
            mae, last = mean_interval(list(err)), mean_interval(list(last1))
            beat = int((err < last1).sum())
            held = wilson_interval(int(covered.sum()), len(g))
            print(
                f"| {metric} | {label.format(R=rounds)} | {len(g)} | {mae.format(4)} "
                f"| {last.format(4)} | {beat}/{len(g)} "
                f"| {int(covered.sum())}/{len(g)} = {held.format(2)} |"
            )
    if "truth_se_better" in df:
        print(
            "\nthe truths' standard errors, mean over backtests:\n\n"
            "| metric | backtest's own, as its t interval has it (every fit independent) "
            "| backtest's own, from the spread between partitions "
            f"| mean over {rounds} partitions |\n|---|---|---|---|"
        )
        for metric, g in df.groupby("metric", sort=False):
            print(
                f"| {metric} | {g.truth_se_fits.mean():.4f} | {g.truth_se_partition.mean():.4f} "
                f"| {g.truth_se_better.mean():.4f} |"
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
    ap.add_argument(
        "--truth-rounds",
        type=int,
        default=6,
        metavar="R",
        help="Fold partitions behind the steadier truth at 100%%, the backtest's own included "
        "(1: compare with the backtest's own truth only).",
    )
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "forecast.json"))
    ap.add_argument("--summarise", metavar="JSON", help="Only print the table of a saved run.")
    args = ap.parse_args()
    if args.truth_rounds < 1:
        ap.error(f"--truth-rounds must be 1 or more, got {args.truth_rounds}")
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
                row = {
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
                own = b.anchors.scores[:, int(np.flatnonzero(b.anchors.sizes == f.rows)[0])]
                row |= truth_columns(
                    X, y, rung, metric, f, own[np.isfinite(own)], args.truth_rounds, args.jobs
                )
                said = ""
                if "measured_better" in row:
                    said = (
                        f"; over {row['truth_partitions']} partitions {row['measured_better']:.3f}"
                        f" (SE {row['truth_se_better']:.4f}): error {row['error_better']:+.3f} "
                        f"{'held' if row['covered_better'] else 'MISSED'}"
                    )
                rows.append(row)
                print(
                    f"{name:14s} {metric:9s} {rung:14s} {b.used_rows:>5,} -> {f.rows:>5,} rows: "
                    f"measured {f.truth:.3f}, forecast {f.forecast.format()} "
                    f"error {f.error:+.3f} {'held' if f.covered else 'MISSED'}; "
                    f"last anchor {f.last_anchor - f.truth:+.3f}{said}",
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
    Path(args.out).write_text(
        json.dumps(
            {
                "truth_rounds": args.truth_rounds,
                "seconds": time.perf_counter() - began,
                "rows": rows,
                "skipped": skipped,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
