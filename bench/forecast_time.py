"""How the fit-time forecast's 90% interval holds at 4x past its anchors, and its one constant.

``TIME_EXPONENT_SD`` (``candor/forecast/_costs.py``) widens the fit-time interval past the largest
anchor, in log space, by that much uncertainty in the exponent per unit of log distance. This
refits the fit-time curve (no model is fitted) of every backtest ``bench/forecast.py`` saved
(``--metric``'s rows: the fits are the same for both metrics, the warm-up anchors left out may
differ) and of the LCDB 1.0 curves
``bench/forecast_lcdb.py`` samples (fit time at least 10 ms), and for each value on a grid prints
how often the interval held the measured time and its median width (high / low). Then the
constant is chosen leave-one-dataset-out on the panels, as ``STRUCTURAL`` was: for each dataset
the smallest value whose intervals held at least 90% of the other datasets', judged on the one
left out. LCDB plays no part in that choice.

    .venv/bin/python bench/forecast_time.py bench/results/forecast.json \\
        bench/results/forecast-wide.json [--per-learner 25]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
import forecast_lcdb
from candor.errors import DataError
from forecast import refit_curves
from forecast_interval import CORE

GRID = [0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5]


def panel_curves(paths: list[str], metric: str) -> list[tuple[str, str, Any, float, float]]:
    out = []
    for f in paths:
        try:
            rows = json.loads(Path(f).read_text())["rows"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            sys.exit(f"{f}: not a results file of bench/forecast.py ({e}); run it first")
        for row in rows:
            if row["metric"] != metric or row.get("time_measured") is None:
                continue
            try:
                _, time_curve, _ = refit_curves(row)
            except DataError:
                continue
            if time_curve is not None:
                panel = "core" if row["dataset"] in CORE else "wide"
                out.append(
                    (panel, row["dataset"], time_curve, float(row["rows"]), row["time_measured"])
                )
    return out


def lcdb_curves(per_learner: int) -> list[tuple[str, str, Any, float, float]]:
    out = []
    for c in forecast_lcdb.sample(forecast_lcdb.load("accuracy"), per_learner, 0):
        measured = forecast_lcdb.measured_seconds(c)
        if measured is None:
            continue
        try:
            _, time_curve = forecast_lcdb.visible_curves("accuracy", c)
        except DataError:
            continue
        if time_curve is not None:
            out.append(("lcdb", str(c["openmlid"]), time_curve, float(c["sizes"][-1]), measured))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", help="JSON files bench/forecast.py wrote")
    ap.add_argument("--per-learner", type=int, default=25)
    ap.add_argument(
        "--metric",
        default="roc_auc",
        help="whose panel rows to refit (the fits are the same; anchors left out as warm-up may "
        "differ): roc_auc, the default metric of a binary project, or accuracy",
    )
    args = ap.parse_args()
    curves = panel_curves(args.results, args.metric) + lcdb_curves(args.per_learner)
    rows = []
    for k in GRID:
        for panel, ds, curve, n, measured in curves:
            e = dataclasses.replace(curve, exponent_sd=k).estimate(n)
            rows.append((k, panel, ds, e.low <= measured <= e.high, e.high / e.low))
    d = pd.DataFrame(rows, columns=["k", "panel", "dataset", "held", "width"])
    print(
        "| exponent sd | "
        + " | ".join(f"{p} held | {p} median width" for p in ("core", "wide", "lcdb"))
        + " |"
    )
    print("|---" * 7 + "|")
    for k, g in d.groupby("k"):
        cells = []
        for p in ("core", "wide", "lcdb"):
            h = g[g.panel == p]
            cells.append(
                f"{int(h.held.sum())}/{len(h)} = {h.held.mean():.2f} | {h.width.median():.1f}x"
            )
        print(f"| {k:g} | " + " | ".join(cells) + " |")
    pan = d[d.panel != "lcdb"]
    picks, held = [], []
    for ds in sorted(pan.dataset.unique()):
        rest = pan[pan.dataset != ds]
        ok = [k for k in GRID if rest[rest.k == k].held.mean() >= 0.90]
        k = min(ok) if ok else max(GRID)
        picks.append(f"{ds} {k:g}")
        held.append(pan[(pan.dataset == ds) & (pan.k == k)].held)
    h = pd.concat(held)
    print(
        f"\nleave one dataset out: held {int(h.sum())}/{len(h)} = {h.mean():.2f}; chosen: {', '.join(picks)}"
    )


if __name__ == "__main__":
    main()
