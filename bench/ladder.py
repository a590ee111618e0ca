"""candor ladder against LazyPredict's LazyClassifier / LazyRegressor on the same data and splits.

LazyPredict (the tool a user reaches for to "try many models") fits each of its ~25-40 models once
on the training rows and ranks them by their score on the test rows. candor climbs its ladder with
5-fold cross-validation on the training rows only, recommends a rung, and scores that one model once
on the test rows. Both get the same split (candor's seeded stratified split). LazyPredict runs in
its own virtual environment (bench/.venv-lazypredict, created on first run), in its own process.

Reported per dataset: wall time of each; the best held-out score each reports (LazyPredict's is its
best model chosen *on the test rows*, which flatters it; candor's is its recommendation, chosen
without seeing them, with an interval); and candor given LazyPredict's wall time as its --budget.

    .venv/bin/python bench/ladder.py [--datasets breast_cancer,wine,digits,diabetes]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from candor.data import load_dataset, split_dataset
from candor.ladder import ladder
from candor.stats import evaluate

sys.path.insert(0, str(Path(__file__).parent))
from _venvs import own_venv

LAZYPREDICT_PINS = ["lazypredict==0.3.0", "scikit-learn==1.9.1", "pandas==3.1.1", "pyarrow<26"]
VENV = Path(__file__).parent / ".venv-lazypredict"
METRIC = {"binary": "accuracy", "multiclass": "accuracy", "regression": "r2"}
LAZY_COLUMN = {"accuracy": "Accuracy", "r2": "R-Squared"}

LAZY_RUN = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from lazypredict.Supervised import LazyClassifier, LazyRegressor
train, test = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
target, regression, column = sys.argv[3], sys.argv[4] == "regression", sys.argv[5]
Xtr, ytr = train.drop(columns=[target]), train[target]
Xte, yte = test.drop(columns=[target]), test[target]
t = time.perf_counter()
lazy = (LazyRegressor if regression else LazyClassifier)(verbose=0, ignore_warnings=True)
models, _ = lazy.fit(Xtr, Xte, ytr, yte)
wall = time.perf_counter() - t
best = models[column].idxmax()
print(json.dumps({"wall_s": wall, "best_model": best, "best": float(models.loc[best, column]),
                  "n_models": int(len(models))}))
"""


def ensure_lazypredict() -> Path:
    return own_venv(VENV, LAZYPREDICT_PINS, "LazyPredict")


def warm_imports() -> None:
    """Import what the rungs use before timing, as LazyPredict's import of all of scikit-learn's
    estimators happens before its timer starts."""
    import importlib

    for name in (
        "sklearn.compose",
        "sklearn.pipeline",
        "sklearn.preprocessing",
        "sklearn.impute",
        "sklearn.linear_model",
        "sklearn.naive_bayes",
        "sklearn.neighbors",
        "sklearn.svm",
        "sklearn.calibration",
        "sklearn.tree",
        "sklearn.ensemble",
        "sklearn.neural_network",
        "sklearn.dummy",
        "lightgbm",
        "xgboost",
        "skops.io",
    ):
        importlib.import_module(name)


def run_candor(train, test, target: str, task: str, budget_s: float | None) -> dict[str, object]:  # type: ignore[no-untyped-def]
    metric = METRIC[task]
    X, y = train.drop(columns=[target]), train[target]
    t = time.perf_counter()
    res = ladder(X, y, task=task, metric=metric, budget_s=budget_s)
    rec = res.rung(res.recommended) if res.recommended else None
    held = None
    if rec is not None:
        Xte, yte = test.drop(columns=[target]), test[target].to_numpy()
        if task == "regression":
            pred = rec.model.predict(Xte)
        else:
            pred = [res.classes[i] for i in rec.model.predict_proba(Xte).argmax(axis=1)]
        held = evaluate(yte, pred, metrics=[metric], task=task)[metric]
    wall = time.perf_counter() - t
    return {
        "wall_s": wall,
        "recommended": res.recommended,
        "held_out": held,
        "rungs_done": sum(r.status == "done" for r in res.rungs),
        "sentence": res.sentence,
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--datasets", default="breast_cancer,wine,digits,diabetes")
    args = ap.parse_args()
    python = ensure_lazypredict()
    warm_imports()
    rows = []
    for name in args.datasets.split(","):
        ds = load_dataset(f"sklearn:{name}")
        split = split_dataset(ds, seed=0)
        frame = ds.frame
        train, test = frame.iloc[split.train], frame.iloc[split.test]
        metric = METRIC[ds.task]
        with tempfile.TemporaryDirectory() as tmp:
            tr, te = Path(tmp) / "train.parquet", Path(tmp) / "test.parquet"
            train.to_parquet(tr)
            test.to_parquet(te)
            out = subprocess.run(
                [
                    str(python),
                    "-c",
                    LAZY_RUN,
                    str(tr),
                    str(te),
                    ds.target,
                    ds.task,
                    LAZY_COLUMN[metric],
                ],
                capture_output=True,
                text=True,
            )
        if out.returncode != 0:
            raise SystemExit(f"LazyPredict failed on {name}:\n{out.stderr[-3000:]}")
        lazy = json.loads(out.stdout.strip().splitlines()[-1])
        full = run_candor(train, test, ds.target, ds.task, None)
        same = run_candor(train, test, ds.target, ds.task, lazy["wall_s"])
        rows.append((name, ds.task, metric, len(train), len(test), lazy, full, same))
        print(
            f"{name}: LazyPredict {lazy['wall_s']:.1f} s, best on test {lazy['best']:.3f} "
            f"({lazy['best_model']}, of {lazy['n_models']} models); candor {full['wall_s']:.1f} s, "
            f"{full['recommended']} {full['held_out']}; candor within {lazy['wall_s']:.1f} s: "
            f"{same['wall_s']:.1f} s, {same['recommended']} {same['held_out']} "
            f"({same['rungs_done']} rungs)",
            flush=True,
        )
    print(
        "\n| data | metric | LazyPredict: wall, best on test (chosen on test) | candor ladder: wall, "
        "recommended, held-out | candor within LazyPredict's time |"
    )
    print("|---|---|---|---|---|")
    for name, _task, metric, ntr, nte, lazy, full, same in rows:
        h, s = full["held_out"], same["held_out"]
        print(
            f"| {name} ({ntr}+{nte}) | {metric} | {lazy['wall_s']:.1f} s, {lazy['best']:.3f} "
            f"({lazy['best_model']}) | {full['wall_s']:.1f} s, {full['recommended']}, "
            f"{h.format() if h else 'n/a'} | {same['wall_s']:.1f} s, {same['recommended']}, "
            f"{s.format() if s else 'n/a'} |"
        )


if __name__ == "__main__":
    main()
