"""candor's bootstrap against scipy.stats.bootstrap on the same predictions.

For each size and metric: 10,000 percentile resamples by both tools on identical predictions; the
time ratio and the largest difference between their interval bounds. scipy gets the statistic the
way its documentation shows (``paired=True``; vectorised where the statistic allows it, a plain
function of the resampled arrays otherwise). Where scipy would take longer than ``--max-scipy``
seconds (projected from a pilot of 100 resamples), its time is projected and no bound is compared.

    .venv/bin/python bench/bootstrap.py               # 10^4, 10^5, 10^6 rows
    .venv/bin/python bench/bootstrap.py --sizes 10000 --max-scipy 30
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats
from sklearn.metrics import roc_auc_score

from candor.stats import evaluate

RESAMPLES = 10_000


def make_predictions(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.int64)
    score = 1 / (1 + np.exp(-(rng.normal(size=n) * 1.2 + 1.6 * y - 0.8)))
    return y, (score > 0.5).astype(np.int64), score


def _accuracy(y: np.ndarray, p: np.ndarray, axis: int = -1) -> np.ndarray:
    return np.mean(y == p, axis=axis)


def _f1(y: np.ndarray, p: np.ndarray, axis: int = -1) -> np.ndarray:
    tp = np.sum((y == 1) & (p == 1), axis=axis)
    fp = np.sum((y == 0) & (p == 1), axis=axis)
    fn = np.sum((y == 1) & (p == 0), axis=axis)
    return 2 * tp / (2 * tp + fp + fn)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    return float(roc_auc_score(y, s))


SCIPY: dict[str, tuple[Callable[..., object], bool, str]] = {
    "accuracy": (_accuracy, True, "pred"),
    "f1": (_f1, True, "pred"),
    "roc_auc": (_auc, False, "score"),
}


def run_scipy(
    metric: str, y: np.ndarray, x: np.ndarray, n_resamples: int
) -> tuple[float, float, float]:
    stat, vectorized, _ = SCIPY[metric]
    t = time.perf_counter()
    res = stats.bootstrap(
        (y, x),
        stat,
        paired=True,
        vectorized=vectorized,
        n_resamples=n_resamples,
        method="percentile",
        random_state=np.random.default_rng(1),
        batch=max(1, min(n_resamples, 20_000_000 // y.shape[0])),
    )
    ci = res.confidence_interval
    return time.perf_counter() - t, float(ci.low), float(ci.high)


def run_candor(
    metric: str, y: np.ndarray, pred: np.ndarray, score: np.ndarray
) -> tuple[float, float, float]:
    t = time.perf_counter()
    ev = evaluate(
        y,
        pred if metric != "roc_auc" else None,
        score if metric == "roc_auc" else None,
        metrics=[metric],
        method="percentile",
        n_resamples=RESAMPLES,
        seed=1,
    )
    e = ev[metric]
    return time.perf_counter() - t, e.low, e.high


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--metrics", default="accuracy,f1,roc_auc")
    ap.add_argument("--max-scipy", type=float, default=240.0, help="seconds per scipy case")
    ap.add_argument("--out", default="bench/results/bootstrap.json")
    args = ap.parse_args()
    rows = []
    print(
        f"{'metric':9} {'n':>9} {'candor s':>9} {'scipy s':>10} {'ratio':>8} {'max |Δbound|':>13}"
    )
    for n in (int(s) for s in args.sizes.split(",")):
        y, pred, score = make_predictions(n)
        for metric in args.metrics.split(","):
            x = pred if SCIPY[metric][2] == "pred" else score
            c_time, c_low, c_high = run_candor(metric, y, pred, score)
            pilot_time, _, _ = run_scipy(metric, y, x, 100)
            projected = pilot_time * RESAMPLES / 100
            if projected <= args.max_scipy:
                s_time, s_low, s_high = run_scipy(metric, y, x, RESAMPLES)
                diff: float | None = max(abs(c_low - s_low), abs(c_high - s_high))
                measured = True
            else:
                s_time, diff, measured = projected, None, False
            row = {
                "metric": metric,
                "n": n,
                "candor_s": c_time,
                "scipy_s": s_time,
                "scipy_measured": measured,
                "ratio": s_time / c_time,
                "max_bound_diff": diff,
                "candor_interval": [c_low, c_high],
            }
            rows.append(row)
            d = f"{diff:.5f}" if diff is not None else "n/a"
            mark = "" if measured else "~"
            print(
                f"{metric:9} {n:>9,} {c_time:>9.3f} {mark + format(s_time, '.2f'):>10} "
                f"{mark + format(s_time / c_time, '.0f') + 'x':>8} {d:>13}",
                flush=True,
            )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "resamples": RESAMPLES,
        "machine": platform.platform(),
        "python": platform.python_version(),
    }
    out.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    print("~ = scipy projected from a 100-resample pilot (over --max-scipy); results in", out)


if __name__ == "__main__":
    main()
