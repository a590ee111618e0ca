"""Where the forecast interval's width comes from, and whether reweighting its terms would help.

The 90% interval of ``candor forecast`` adds three standard deviations in quadrature: the
families' weighted spread, the bootstrap over repeats, and the structural term (``STRUCTURAL``
times the curve's own extrapolation error per doubling, times the doublings past its largest
anchor). From the rows ``bench/forecast.py`` saved (no model is refitted: the curves are fitted
again to the saved anchors at no more than 25%), this prints

- each term's mean, by panel and metric;
- by dataset, how many intervals held and the ratio |error| / sd (a calibrated 90% interval has
  its 90th percentile near 1.645);
- a grid of ``sd = sqrt(a^2 (family^2 + bootstrap^2) + (b extrapolation)^2)`` (``a = 1`` and
  ``b = STRUCTURAL`` is what ships): coverage and mean width on each panel;
- leave-one-dataset-out choices of ``b`` alone and of ``(a, b)``: for each dataset, the narrowest
  grid point whose intervals held at least 90% on the other datasets, judged on the one left out;
  and of ``b`` with a fourth term, ``c`` times the largest visible anchor's standard error (the
  anchors' own noise, which the bootstrap carries through the fit only).

    .venv/bin/python bench/forecast_interval.py bench/results/forecast.json \\
        bench/results/forecast-wide.json [--jobs 2]
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
from forecast import refit

CORE = {"breast_cancer", "digits", "generated_6k"}
A = [0.0, 0.5, 0.75, 1.0, 1.25]
B = [0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 1.0, 1.25]
C = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0]


def terms(row: dict[str, Any]) -> dict[str, Any]:
    from candor.forecast._curve import STRUCTURAL

    curve = refit(row)
    point, family, boot, structural = curve._sd_terms(np.array([float(row["rows"])]))
    return {
        "dataset": row["dataset"],
        "metric": row["metric"],
        "panel": "core" if row["dataset"] in CORE else "wide",
        "point": float(point[0]),
        "truth": curve.sign * row["measured"],
        "bottom": curve.bottom,
        "top": curve.top,
        "family": float(family[0]),
        "bootstrap": float(boot[0]),
        # per unit of STRUCTURAL, so the grid can scale it
        "extrapolation": float(structural[0]) / STRUCTURAL,
        # the standard error of the largest visible anchor's mean score: a candidate fourth term
        "anchor_se": float(curve.anchors.se[-1]),
    }


def judge(d: pd.DataFrame, a: float, b: float, c: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Whether each interval held its truth, and its width, with the terms weighted (a, b) and
    ``c`` times the largest visible anchor's standard error added."""
    z = float(sps.norm.ppf(0.95))
    sd = np.sqrt(
        a**2 * (d.family**2 + d.bootstrap**2) + (b * d.extrapolation) ** 2 + (c * d.anchor_se) ** 2
    )
    p = np.clip(d.point, d.bottom, d.top)
    lo, hi = np.clip(p - z * sd, d.bottom, d.top), np.clip(p + z * sd, d.bottom, d.top)
    return ((lo <= d.truth + 1e-12) & (d.truth <= hi + 1e-12)).to_numpy(), (hi - lo).to_numpy()


def held(h: np.ndarray) -> str:
    return f"{int(h.sum())}/{len(h)} = {h.mean():.2f}"


def lodo(d: pd.DataFrame, grid: list[tuple[float, ...]]) -> None:
    cache = {k: judge(d, *k) for k in grid}
    picks, h_all, w_all, panel = [], [], [], []
    for ds in sorted(d.dataset.unique()):
        out = (d.dataset == ds).to_numpy()
        ok = [(cache[k][1][~out].mean(), k) for k in grid if cache[k][0][~out].mean() >= 0.90]
        k = min(ok)[1] if ok else max(grid)
        picks.append(f"{ds} {k}")
        h_all.append(cache[k][0][out])
        w_all.append(cache[k][1][out])
        panel.append(d.panel.to_numpy()[out])
    h, w, p = np.concatenate(h_all), np.concatenate(w_all), np.concatenate(panel)
    print(f"  held {held(h)}, mean width {w.mean():.4f}", end="")
    for name in ("core", "wide"):
        m = p == name
        if m.any():
            print(f"; {name} {held(h[m])}, width {w[m].mean():.4f}", end="")
    print(f"\n  chosen: {', '.join(picks)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", help="JSON files bench/forecast.py wrote")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    rows = []
    for f in args.results:
        try:
            rows += json.loads(Path(f).read_text())["rows"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            sys.exit(
                f"{f}: not a results file of bench/forecast.py ({type(e).__name__}: {e}). "
                "Run bench/forecast.py first; it writes bench/results/forecast[-wide].json."
            )
    if not rows:
        sys.exit("no backtests in " + ", ".join(args.results))
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as ex:
        d = pd.DataFrame(list(ex.map(terms, rows, chunksize=4)))
    from candor.forecast._curve import STRUCTURAL

    d["structural"] = STRUCTURAL * d.extrapolation
    pd.set_option("display.width", 200)
    print(f"{len(d)} backtests refitted in {time.perf_counter() - t0:.0f} s\n")
    print("mean standard deviation of each term (STRUCTURAL =", STRUCTURAL, "as shipped):")
    print(d.groupby(["panel", "metric"])[["family", "bootstrap", "structural"]].mean().round(4))

    h, w = judge(d, 1.0, STRUCTURAL)
    sd = np.sqrt(d.family**2 + d.bootstrap**2 + d.structural**2)
    d["ratio"] = (np.clip(d.point, d.bottom, d.top) - d.truth).abs() / sd
    d["held"] = h
    g = d.groupby("dataset")
    by = pd.DataFrame(
        {
            "panel": g.panel.first(),
            "held": g.held.apply(held),
            "median |err|/sd": g.ratio.median().round(2),
            "90th pct |err|/sd": g.ratio.quantile(0.9).round(2),
        }
    ).sort_values("median |err|/sd")
    print("\nas shipped, by dataset (both metrics; calibrated: 90th percentile near 1.645):")
    print(by.to_string())

    print("\ngrid: sd = sqrt(a^2 (family^2 + bootstrap^2) + (b extrapolation)^2)")
    for a, b in itertools.product(A, B):
        h, w = judge(d, a, b)
        line = [f"a={a:<4} b={b:<5}"]
        for name in ("core", "wide"):
            m = (d.panel == name).to_numpy()
            if m.any():
                line.append(f"{name} {held(h[m])} width {w[m].mean():.4f}")
        line.append(f"all {held(h)} width {w.mean():.4f}")
        print("  " + " | ".join(line))

    if d.dataset.nunique() > 1:
        print("\nleave one dataset out, b alone (a = 1):")
        lodo(d, [(1.0, b) for b in B])
        print("leave one dataset out, (a, b):")
        lodo(d, list(itertools.product(A, B)))
        print(
            "leave one dataset out, (1, b, c): c x the largest visible anchor's standard error added:"
        )
        lodo(d, [(1.0, b, c) for b, c in itertools.product(B, C)])


if __name__ == "__main__":
    main()
