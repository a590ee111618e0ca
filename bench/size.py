"""How far to trust `candor size`'s memory estimates: estimate against measurement, per rung.

For every ladder rung on every bundled data set (and the CNN on digits), and on a generated set the
constants were not fitted on, the rung is fitted, saved in candor's format and measured in a fresh
process (glibc's live bytes of the loaded model plus the kernel's high-water mark while predicting a
batch). The analytic estimate is compared with it, and so is the figure a user would otherwise
reach for: the model file's size on disk. Training memory is compared with the fit's own peak
(the resident high-water mark around ``fit`` in a fresh process with the libraries imported).

    .venv/bin/python bench/size.py [--datasets breast_cancer,...] [--out bench/results/size.json]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from candor._units import format_bytes
from candor.data import load_dataset
from candor.ladder import RUNGS
from candor.ladder._climb import _context
from candor.ladder._measure import model_bytes, peak_memory
from candor.sizing import WhatIf, estimate_memory, load_model, rescale
from candor.sizing._measure import probe_memory

DATASETS = ["breast_cancer", "iris", "wine", "digits", "diabetes", "generated"]


def _batch(columns: int) -> int:
    return int(min(100_000, max(10_000, 8 * 2**20 // (8 * columns))))


def _load(name: str) -> tuple[pd.DataFrame, pd.Series, str]:
    if name == "generated":
        from sklearn.datasets import make_classification

        X, y = make_classification(5_000, 40, n_informative=12, n_classes=4, random_state=3)
        return pd.DataFrame(X, columns=[f"g{i}" for i in range(40)]), pd.Series(y), "multiclass"
    ds = load_dataset(f"sklearn:{name}")
    y = ds.y
    if ds.task != "regression":
        y = pd.Series(pd.factorize(y, sort=True)[0])
    return ds.X, y, ds.task


def _fit_peak(dataset: str, rung: str) -> int:
    """Peak resident memory of one fit, in a fresh process (``--fit-probe``)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, __file__, "--fit-probe", f"{dataset}:{rung}"],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "OMP_NUM_THREADS": "1"},
    )
    return int(done.stdout.strip().splitlines()[-1])


def _fit_probe(target: str) -> None:
    dataset, rung = target.split(":")
    X, y, task = _load(dataset)
    spec = RUNGS[rung]
    ctx = _context(X, task, int(y.nunique()) if task != "regression" else 0, 0)
    few = X.sample(min(len(X), 200), random_state=0).index
    with contextlib.suppress(ValueError):  # a small fit first pays for lazy imports and threads
        spec.build(ctx).fit(X.loc[few], y.loc[few])
    import gc

    gc.collect()
    with peak_memory() as peak:
        spec.build(ctx).fit(X, y)
    print(peak.bytes)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit-probe", help=argparse.SUPPRESS)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "size.json"))
    args = ap.parse_args()
    if args.fit_probe:
        _fit_probe(args.fit_probe)
        return
    rows = []
    began = time.perf_counter()
    for name in args.datasets.split(","):
        X, y, task = _load(name)
        ctx = _context(X, task, int(y.nunique()) if task != "regression" else 0, 0)
        for rung, spec in RUNGS.items():
            if task not in spec.tasks or (spec.applies is not None and not spec.applies(ctx)):
                continue
            if spec.needs and importlib.util.find_spec(spec.needs) is None:
                continue
            model = spec.build(ctx).fit(X, y)
            fit_peak = _fit_peak(name, rung)
            data, _, filename = model_bytes(model)
            batch = _batch(X.shape[1])
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / filename
                path.write_bytes(data)
                measured = probe_memory(path, X, batch=batch)
                loaded, _ = load_model(path)
            est = estimate_memory(loaded, rows=batch, row_bytes=X.shape[1] * 8, n_input=X.shape[1])
            train = rescale(
                loaded,
                n_input=X.shape[1],
                row_bytes=X.shape[1] * 8,
                what=WhatIf(rows=len(X), train=True),
            )
            total = measured["live_bytes"] + measured["batch_peak_bytes"]
            row = {
                "dataset": name,
                "rung": rung,
                "batch": batch,
                "file_bytes": len(data),
                "live_bytes": measured["live_bytes"],
                "batch_peak_bytes": measured["batch_peak_bytes"],
                "resident_bytes": measured["rss_after_load"],
                "measured_bytes": total,
                "estimated_bytes": est.total,
                "estimated_model_bytes": est.model_bytes,
                "estimated_batch_bytes": est.batch_peak,
                "ratio": est.total / total,
                "model_ratio": est.model_bytes / measured["live_bytes"],
                "file_ratio": len(data) / measured["live_bytes"],
                "fit_peak_bytes": fit_peak,
                "train_estimate_bytes": train.total,
            }
            rows.append(row)
            print(
                f"{name:13s} {rung:14s} estimate {format_bytes(est.total):>9s} measured "
                f"{format_bytes(total):>9s} ratio {row['ratio']:.2f} | model alone "
                f"{row['model_ratio']:.2f}, file size as a guess {row['file_ratio']:.2f} | fit "
                f"peak {format_bytes(fit_peak):>9s}, training estimate "
                f"{format_bytes(train.total):>9s}",
                flush=True,
            )
    df = pd.DataFrame(rows)
    summarise(df)
    print(f"\n{time.perf_counter() - began:.0f} s on this machine")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"rows": rows}, indent=1))


def summarise(df: pd.DataFrame) -> None:
    def line(label: str, r: pd.Series) -> str:
        err = np.abs(np.log(r))
        return (
            f"| {label} | {len(r)} | {np.exp(np.mean(np.log(r))):.2f} | {r.min():.2f}-{r.max():.2f}"
            f" | {(np.abs(r - 1) <= 0.25).sum()}/{len(r)} | {np.exp(err.max()):.2f}x |"
        )

    print(
        "\n| figure | models | geometric mean ratio | range | within 25% | worst factor |\n"
        "|---|---|---|---|---|---|"
    )
    inside = df[df.dataset != "generated"]
    out = df[df.dataset == "generated"]
    print(line("estimate / measured, bundled sets", inside.ratio))
    if len(out):
        print(line("estimate / measured, generated set (out of sample)", out.ratio))
    print(line("model part alone / live bytes", df.model_ratio))
    print(line("file size on disk / live bytes (the usual guess)", df.file_ratio))
    fit = df[df.fit_peak_bytes > 2**20]
    if len(fit):
        print(
            line(
                "training estimate / fit peak (fits over 1 MiB)",
                fit.train_estimate_bytes / fit.fit_peak_bytes,
            )
        )


if __name__ == "__main__":
    main()
