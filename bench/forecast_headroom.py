"""Would scaling the forecast interval by the room left to the metric's best narrow the core panel?

On the 162 panel backtests the ratio |error| / sd rises with the headroom (the metric's best
minus the largest visible anchor's score: Spearman +0.22), and the core panel's curves sit near
the ceiling. So this tries ``sd x (headroom / h0) ** beta`` on bounded metrics, over a grid of
``STRUCTURAL`` (b), beta and h0, judged on LCDB 1.0's 994 curves (out of sample: nothing was
chosen on them) and on both panels. For each grid point it prints coverage, the interval score
of Gneiting and Raftery (width plus 20 times any miss; lower is better) and the core panel's
held counts, then the points LCDB would choose, and the most LCDB coverage any point that
misses at least one core accuracy truth keeps. No model is refitted: the panels' curves are
fitted again to their saved anchors (``forecast_interval.terms``), LCDB's terms are read from
its results file.

    .venv/bin/python bench/forecast_headroom.py bench/results/forecast.json \\
        bench/results/forecast-wide.json bench/results/forecast-lcdb.json [--jobs 2]
"""

from __future__ import annotations

import argparse
import itertools
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
from forecast_interval import terms

Z = float(sps.norm.ppf(0.95))
B = [0.25, 0.375, 0.5, 0.625, 0.75, 1.0]
BETA = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
H0 = [0.05, 0.07, 0.1, 0.15, 0.2, 0.3]


def panel_terms(row: dict[str, Any]) -> dict[str, Any]:
    from forecast import refit

    out = terms(row)
    curve = refit(row)
    out["headroom"] = curve.top - float(curve.sign * curve.anchors.mean[-1])
    return out


def lcdb_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    d = pd.DataFrame([r for r in rows if "forecast" in r])
    d["bottom"], d["top"] = 0.0, 1.0  # accuracy and ROC AUC
    # last1_error is the largest visible anchor's mean score minus the truth
    d["headroom"] = 1.0 - (d.last1_error + d.truth)
    d["panel"] = "lcdb"
    return d


def judge(
    d: pd.DataFrame, b: float, beta: float, h0: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Held, width and interval score of each 90% interval with the headroom scaling."""
    g = (d.headroom.clip(lower=1e-3) / h0) ** beta
    half = Z * np.sqrt(d.family**2 + d.bootstrap**2 + (b * d.extrapolation) ** 2) * g
    p = np.clip(d.point, d.bottom, d.top)
    lo, hi = np.clip(p - half, d.bottom, d.top), np.clip(p + half, d.bottom, d.top)
    t = d.truth
    held = ((lo <= t + 1e-12) & (t <= hi + 1e-12)).to_numpy()
    miss = np.maximum(lo - t, 0) + np.maximum(t - hi, 0)
    return held, (hi - lo).to_numpy(), (hi - lo + 20 * miss).to_numpy()


def paired(d: pd.DataFrame, k: tuple[float, ...], base: tuple[float, ...]) -> str:
    x = judge(d, *k)[2] - judge(d, *base)[2]
    m, h = x.mean(), sps.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return f"{m:+.4f} ({m - h:+.4f} to {m + h:+.4f}), better on {int((x < 0).sum())}/{len(x)}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("core", help="bench/results/forecast.json")
    ap.add_argument("wide", help="bench/results/forecast-wide.json")
    ap.add_argument("lcdb", help="bench/results/forecast-lcdb.json")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    loaded = []
    for f in (args.core, args.wide, args.lcdb):
        try:
            loaded.append(json.loads(Path(f).read_text())["rows"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            sys.exit(
                f"{f}: not a results file ({type(e).__name__}: {e}). Run bench/forecast.py "
                "(both panels) and bench/forecast_lcdb.py first."
            )
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as ex:
        p = pd.DataFrame(list(ex.map(panel_terms, loaded[0] + loaded[1], chunksize=4)))
    lc = lcdb_frame(loaded[2])
    print(f"{len(p)} panel backtests refitted in {time.perf_counter() - t0:.0f} s; {len(lc)} LCDB")
    ratio = (np.clip(p.point, p.bottom, p.top) - p.truth).abs() / np.sqrt(
        p.family**2 + p.bootstrap**2 + (0.5 * p.extrapolation) ** 2
    )
    rho = sps.spearmanr(p.headroom, ratio).statistic
    print(f"panels: Spearman of headroom with |error|/sd {rho:+.2f}")
    print(
        "median headroom: "
        + ", ".join(f"{k} {v:.3f}" for k, v in p.groupby("panel").headroom.median().items())
        + f", lcdb {lc.headroom.median():.3f}"
    )

    core, acc_p, acc_l = p.panel == "core", p.metric == "accuracy", lc.metric == "accuracy"
    out = []
    grid = [(b, 0.0, 0.1) for b in B] + list(itertools.product(B, BETA[1:], H0))
    for k in grid:
        hl, _, sl = judge(lc, *k)
        hp, _, sp = judge(p, *k)
        out.append(
            {
                "b, beta, h0": k,
                "lcdb held acc": hl[acc_l].mean(),
                "lcdb held auc": hl[~acc_l].mean(),
                "lcdb score": sl.mean(),
                "core acc held /27": int(hp[core & acc_p].sum()),
                "core auc held /27": int(hp[core & ~acc_p].sum()),
                "wide held": hp[~core].mean(),
                "panels score": sp.mean(),
            }
        )
    r = pd.DataFrame(out)
    pd.set_option("display.width", 200)
    print("\nno headroom scaling (beta = 0), b = STRUCTURAL:")
    print(r[[k[1] == 0 for k in r["b, beta, h0"]]].round(4).to_string(index=False))
    print("\nthe 8 best LCDB interval scores:")
    print(r.sort_values("lcdb score").head(8).round(4).to_string(index=False))
    fair = r[(r["lcdb held acc"] >= 0.895) & (r["lcdb held auc"] >= 0.895)]
    print("\nthe 8 best LCDB interval scores among points holding at least 0.895 of both metrics:")
    print(fair.sort_values("lcdb score").head(8).round(4).to_string(index=False))
    print("\ninterval score minus the shipped one's, paired on the same curves (95% t interval):")
    shipped = (0.5, 0.0, 0.1)
    for k in [(0.625, 0.2, 0.2), (0.5, 0.2, 0.15), (0.625, 0.1, 0.15), (0.5, 0.2, 0.3)]:
        print(f"  {k}: LCDB {paired(lc, k, shipped)}; panels {paired(p, k, shipped)}")
    miss = r[r["core acc held /27"] <= 26]
    print(
        f"\n{len(miss)} of {len(r)} points miss at least one core accuracy truth; "
        f"{int((r['core acc held /27'] <= 25).sum())} miss two or more (25/27 = 0.93, in the band)"
    )
    two = r[r["core acc held /27"] <= 25]
    print(
        f"of those {len(two)}, the most LCDB accuracy held with the core's ROC AUC at 22/27 or "
        "more (in the band): "
        + str(two[two["core auc held /27"] >= 22]["lcdb held acc"].max().round(4))
    )
    print(two.sort_values("lcdb held acc", ascending=False).head(5).round(4).to_string(index=False))


if __name__ == "__main__":
    main()
