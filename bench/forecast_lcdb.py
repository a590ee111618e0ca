"""candor's learning-curve forecast on LCDB 1.0's published curves (Mohr et al. 2022).

LCDB, the learning-curve database the forecasting literature measures against, ships its curves
on PyPI (the ``lcdb`` package, 68 MB; pinned in candor's ``bench`` extra): 20 scikit-learn
learners on up to 246 OpenML datasets, each trained at sizes spaced by sqrt(2) from 16 rows up to
the full training set, with 25 or so seed pairs (outer test split x inner subsample) at each
size. The ``lcdb`` package's own module needs ``openml`` to import, so this script reads its CSV
files directly and needs nothing else of it.

For each sampled curve (dataset x learner), this does what ``bench/forecast.py`` does for
candor's own panel, with no model fitted here: the anchors at no more than 25% of the largest
size are given to the forecaster ``candor forecast`` uses (``_fit_curves``: the same families,
weights, warm-up rule and 90% interval, and the fit-time curve from LCDB's ``traintime``), which
forecasts the score at the largest size. That is compared with LCDB's mean test score there.

Reported, by metric: the forecast's mean absolute error and how often its 90% interval held the
truth, against LCDB's hard baseline "last1" (quote the largest visible anchor) and two single
families fitted alone to the same anchors (pow3 and mmf4, the families LCDB ranks first among
parametric fits); then by learner; then the interval with its structural term weighted
otherwise (``STRUCTURAL`` was chosen on bench/forecast.py's panels, so this is out of sample for
it); then fit time at the largest size. Curves are sampled at random, the same number per learner
(``--per-learner``), from those with at least 3 anchors at no more than 25%.

    .venv/bin/python bench/forecast_lcdb.py [--per-learner 20] [--metrics accuracy,auc] [--jobs 2]
    .venv/bin/python bench/forecast_lcdb.py --summarise bench/results/forecast-lcdb.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

sys.path.insert(0, str(Path(__file__).parent))
from forecast import is_cost_note, score_warnings, time_figures

#: LCDB's file name for each metric, and candor's name for the metric
METRICS = {"accuracy": "accuracy", "auc": "roc_auc"}
#: the share of the largest size the forecast may see, as in bench/forecast.py
VISIBLE = 0.25
#: fit times below this are not compared: LCDB rounds them to milliseconds
MIN_SECONDS = 0.01
#: single families reported beside the combination
SINGLE = ["pow3", "mmf4"]
#: weights of the structural term tried after the fact (STRUCTURAL ships)
B = [0.0, 0.25, 0.375, 0.5, 0.75, 1.0]
OUT = Path(__file__).parent / "results" / "forecast-lcdb.json"


def lcdb_dir() -> Path:
    spec = importlib.util.find_spec("lcdb")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            "the lcdb package (LCDB 1.0's curves) is not installed: "
            ".venv/bin/pip install -e '.[bench]'"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def load(metric: str) -> pd.DataFrame:
    path = lcdb_dir() / f"database-{metric}.csv"
    if not path.is_file():
        sys.exit(f"{path} is missing: reinstall lcdb (.venv/bin/pip install -e '.[bench]')")
    cols = ["openmlid", "learner", "size_train", "outer_seed", "inner_seed", "traintime"]
    return pd.read_csv(path, usecols=[*cols, "score_test"], engine="pyarrow")


def sample(d: pd.DataFrame, per_learner: int, seed: int) -> list[dict[str, Any]]:
    """Curves (one per dataset x learner) with at least 3 sizes at no more than VISIBLE of the
    largest, ``per_learner`` of each learner at random; each as its sizes and (seeds x sizes)
    score and fit-time grids."""
    top = d.groupby(["openmlid", "learner"]).size_train.transform("max")
    d = d[np.isfinite(d.score_test)]
    vis = d[d.size_train <= VISIBLE * top.loc[d.index]]
    ok = vis.groupby(["openmlid", "learner"]).size_train.nunique()
    keys = ok[ok >= 3].reset_index()[["openmlid", "learner"]]
    rng = np.random.default_rng(seed)
    picked = []
    for _, g in keys.groupby("learner"):
        idx = rng.permutation(len(g))[:per_learner]
        picked += [tuple(r) for r in g.iloc[np.sort(idx)].itertuples(index=False)]
    want = pd.MultiIndex.from_tuples(picked, names=["openmlid", "learner"])
    d = d.set_index(["openmlid", "learner"]).loc[want]
    out = []
    for (oid, learner), g in d.groupby(level=[0, 1], sort=False):
        score = g.pivot_table("score_test", ["outer_seed", "inner_seed"], "size_train", "mean")
        secs = g.pivot_table("traintime", ["outer_seed", "inner_seed"], "size_train", "mean")
        secs = secs.reindex(index=score.index, columns=score.columns)
        out.append(
            {
                "openmlid": int(oid),
                "learner": str(learner).removeprefix("sklearn.").split(".")[-1],
                "sizes": [int(s) for s in score.columns],
                "scores": np.where(np.isfinite(score), score, np.nan).tolist(),
                "seconds": np.where(np.isfinite(secs), secs, np.nan).tolist(),
            }
        )
    return out


def visible_curves(metric: str, c: dict[str, Any]) -> tuple[Any, Any]:
    """The learning and fit-time curves ``candor forecast`` fits to curve ``c``'s anchors at no
    more than VISIBLE of its largest size (``metric``: LCDB's name); DataError if it cannot."""
    from candor.forecast._run import AnchorRun, _fit_curves
    from candor.stats._metrics import METRICS as CANDOR

    sizes = np.array(c["sizes"], dtype=float)
    S, T = np.array(c["scores"], dtype=float), np.array(c["seconds"], dtype=float)
    k = int((sizes <= VISIBLE * sizes[-1]).sum())
    run = AnchorRun(sizes[:k], S[:, :k], T[:, :k], np.full_like(T[:, :k], np.nan), [], None)
    curve, time_curve, _ = _fit_curves(run, CANDOR[METRICS[metric]], 0.90, 0)
    return curve, time_curve


def measured_seconds(c: dict[str, Any]) -> float | None:
    """The mean fit time at the largest size, or None below MIN_SECONDS (LCDB rounds to ms)."""
    t = float(np.nanmean(np.array(c["seconds"], dtype=float)[:, -1]))
    return t if np.isfinite(t) and t >= MIN_SECONDS else None


def backtest(job: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """The forecast of the largest size from the anchors at no more than VISIBLE of it."""
    from candor.errors import DataError
    from candor.forecast._curve import STRUCTURAL

    metric, c = job
    sizes = np.array(c["sizes"], dtype=float)
    S = np.array(c["scores"], dtype=float)
    n = float(sizes[-1])
    k = int((sizes <= VISIBLE * n).sum())
    truth = float(np.nanmean(S[:, -1]))
    seen = np.nanmean(S[:, :k], axis=0)
    last1 = float(seen[np.isfinite(seen)][-1])
    row: dict[str, Any] = {
        "metric": METRICS[metric],
        "openmlid": c["openmlid"],
        "learner": c["learner"],
        "rows": n,
        "from_rows": float(sizes[k - 1]),
        "truth": truth,
        "truth_repeats": int(np.isfinite(S[:, -1]).sum()),
        "last1_error": last1 - truth,
    }
    try:
        curve, time_curve = visible_curves(metric, c)
    except DataError as e:
        return row | {"failed": str(e)}
    f = curve.estimate(n)
    point, family, boot, structural = curve._sd_terms(np.array([n]))
    x = np.array([n / curve.scale])
    row |= {
        "forecast": f.value,
        "low": f.low,
        "high": f.high,
        "error": f.value - truth,
        "covered": f.contains(truth),
        "warnings": score_warnings(curve, int(n)),
        "point": float(point[0]),
        "family": float(family[0]),
        "bootstrap": float(boot[0]),
        "extrapolation": float(structural[0]) / STRUCTURAL,
    }
    for name in SINGLE:
        if name in curve.fits:
            v = float(np.clip(curve.fits[name](x)[0], 0.0, 1.0))
            row[f"{name}_error"] = v - truth
    measured_t = measured_seconds(c)
    if time_curve is not None and measured_t is not None:
        t = time_curve.estimate(n)
        row |= {"time_forecast": t.value, "time_low": t.low, "time_high": t.high}
        row["time_measured"] = measured_t
    return row


def _mae(e: pd.Series) -> str:
    from candor.ladder._measure import mean_interval

    return mean_interval(list(e.abs())).format(4) if len(e) > 1 else f"{e.abs().mean():.4f}"


def _paired(diff: pd.Series) -> str:
    from candor.forecast._run import repeat_mean

    e = repeat_mean(diff.to_numpy(), 0.95)  # a t interval that may cross zero
    return "-" if e is None else f"{e.value:+.4f} ({e.low:+.4f} to {e.high:+.4f})"


def _line(g: pd.DataFrame, label: str) -> str:
    from candor.stats import wilson_interval

    err, last1 = g.error.abs(), g.last1_error.abs()
    held = wilson_interval(int(g.covered.sum()), len(g))
    singles = " | ".join(_mae(g[f"{s}_error"].dropna()) for s in SINGLE)
    return (
        f"| {label} | {len(g)} | {_mae(g.error)} | {err.median():.4f} | {_mae(g.last1_error)} "
        f"| {singles} | {int((err < last1).sum())}/{len(g)} "
        f"| {int(g.covered.sum())}/{len(g)} = {held.format(2)} | {(g.high - g.low).median():.3f} |"
    )


def summarise(df: pd.DataFrame) -> None:
    from candor.forecast._curve import STRUCTURAL
    from candor.stats import wilson_interval

    failed = df[df.forecast.isna()] if "forecast" in df else df
    ok = df.dropna(subset=["forecast"]).astype({"covered": bool})
    # saved runs may hold cost notes among the warnings (older runs worded one differently)
    ok["warned"] = ok.warnings.map(lambda ws: any(not is_cost_note(w) for w in ws))
    head = (
        "| {} | curves | forecast MAE (95% CI) | median abs. error | last1 MAE (95% CI) | "
        + " | ".join(f"{s} alone MAE" for s in SINGLE)
        + " | forecast beat last1 | 90% interval held (95% Wilson CI) | median width |\n"
        + "|---" * (9 + len(SINGLE))
        + "|"
    )
    print(f"\n{len(df)} curves, {len(failed)} with no forecast (too few anchors on the curve)")
    print("\n" + head.format("metric"))
    for metric, g in ok.groupby("metric", sort=False):
        print(_line(g, metric))
    print(
        "\npaired: the forecast's absolute error minus the other's, mean and 95% t interval "
        "(negative: the forecast is closer):\n\n| metric | "
        + " | ".join(["last1", *(f"{s} alone" for s in SINGLE)])
        + " |\n|---|"
        + "---|" * (1 + len(SINGLE))
    )
    for metric, g in ok.groupby("metric", sort=False):
        cells = []
        for other in ["last1", *SINGLE]:
            h = g.dropna(subset=[f"{other}_error"])
            diff = h.error.abs() - h[f"{other}_error"].abs()
            cells.append(f"{_paired(diff)} (n={len(h)})")
        print(f"| {metric} | " + " | ".join(cells) + " |")
    for metric, g in ok.groupby("metric", sort=False):
        print(f"\n{metric}, by learner:\n\n" + head.format("learner"))
        for learner, h in g.groupby("learner"):
            print(_line(h, learner))
        print(_line(g[~g.warned], "no warning"))
        if g.warned.any():
            print(_line(g[g.warned], "warned"))
    z = float(sps.norm.ppf(0.95))
    print(f"\nthe structural term weighted otherwise (ships: {STRUCTURAL}):\n")
    print("| metric | b | held | mean width | median width |\n|---|---|---|---|---|")
    for metric, g in ok.groupby("metric", sort=False):
        for b in B:
            sd = np.sqrt(g.family**2 + g.bootstrap**2 + (b * g.extrapolation) ** 2)
            p = g.point.clip(0.0, 1.0)
            lo, hi = (p - z * sd).clip(0.0, 1.0), (p + z * sd).clip(0.0, 1.0)
            h = (lo <= g.truth + 1e-12) & (g.truth <= hi + 1e-12)
            w = wilson_interval(int(h.sum()), len(g))
            print(
                f"| {metric} | {b} | {int(h.sum())}/{len(g)} = {w.format(2)} "
                f"| {(hi - lo).mean():.4f} | {(hi - lo).median():.4f} |"
            )
    # does any per-curve quantity tell which intervals are too wide or too narrow?
    sd = np.sqrt(ok.family**2 + ok.bootstrap**2 + (STRUCTURAL * ok.extrapolation) ** 2)
    ratio = (ok.point.clip(0.0, 1.0) - ok.truth).abs() / sd
    features = {
        "gain past the last anchor": (ok.forecast - ok.truth - ok.last1_error).abs(),
        "structural share of sd": STRUCTURAL * ok.extrapolation / sd,
        "log rows": np.log(ok.rows),
        "family spread": ok.family,
        "bootstrap": ok.bootstrap,
        "extrapolation": ok.extrapolation,
    }
    print(
        "\nSpearman rank correlation of |error| / sd with each per-curve quantity (all curves):\n"
    )
    for name, f in features.items():
        print(f"- {name}: {sps.spearmanr(f, ratio).statistic:+.3f}")
    q = pd.qcut(np.log(ok.rows), 4, labels=["1st", "2nd", "3rd", "4th"])
    print(
        "\n|error| / sd by quartile of size (a calibrated 90% interval: 90th percentile 1.645):\n"
    )
    for label, r in ratio.groupby(q, observed=True):
        print(
            f"- {label}: median {r.median():.2f}, 90th percentile {r.quantile(0.9):.2f}, n={len(r)}"
        )
    if "time_forecast" in ok:
        t = ok[ok.metric == ok.metric.iloc[0]].dropna(subset=["time_forecast"])
        t = t[t.time_measured >= MIN_SECONDS]
        print(
            f"\nfit time at the largest size ({len(t)} curves whose measured time is at least "
            f"10 ms): {time_figures(t)}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--metrics", default="accuracy,auc", help="LCDB's: accuracy, auc")
    ap.add_argument("--per-learner", type=int, default=20, metavar="K")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--summarise", type=Path, metavar="JSON", help="only summarise a saved run")
    args = ap.parse_args()
    if args.summarise:
        try:
            rows = json.loads(args.summarise.read_text())["rows"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            sys.exit(f"{args.summarise}: not a results file of this script ({e}); run it first")
        summarise(pd.DataFrame(rows))
        return
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    bad = [m for m in metrics if m not in METRICS]
    if bad:
        sys.exit(f"unknown metric(s) {', '.join(bad)}: LCDB's are {', '.join(METRICS)}")
    t0 = time.perf_counter()
    jobs = []
    for m in metrics:
        jobs += [(m, c) for c in sample(load(m), args.per_learner, args.seed)]
    print(f"{len(jobs)} curves sampled in {time.perf_counter() - t0:.0f} s", flush=True)
    with ProcessPoolExecutor(args.jobs) as ex:
        rows = list(ex.map(backtest, jobs, chunksize=4))
    took = time.perf_counter() - t0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(
        json.dumps(
            {"seconds": took, "args": vars(args) | {"out": str(args.out)}, "rows": rows},
            default=str,
        )
    )
    tmp.replace(args.out)
    print(f"{len(rows)} backtests in {took:.0f} s; saved to {args.out}")
    summarise(pd.DataFrame(rows))


if __name__ == "__main__":
    main()
