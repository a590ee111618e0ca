"""The analytic estimate against what fresh processes measure, for every ladder rung as a classifier
and as a regressor, and for the CNN: within 25% of the model's live bytes plus a batch's peak. The
batch is at least 10,000 rows and about 8 MiB of input (up to 100,000 rows), so that on 4-column
iris it is not lost in the allocator's page-sized noise.

The classifiers take the bundled classification sets in turn (breast_cancer, iris, wine, digits:
binary and multiclass, 4 to 64 columns), the regressors diabetes, so that every rung and every set
is measured once. The whole matrix, every rung on every set (60 models), is ``bench/size.py``'s,
with its figures in bench/README.md; in the suite it took about 600 s of test time, these 24
about 270 s.

Each case is its own test, so a failure names the data set, the rung, the two figures and the ratio,
part by part.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from candor._units import format_bytes
from candor.data import load_dataset
from candor.ladder import RUNGS
from candor.ladder._climb import _context
from candor.ladder._measure import model_bytes
from candor.sizing import estimate_memory, load_model
from candor.sizing._measure import probe_memory
from candor.sizing._size import TOLERANCE

DATASETS = ["breast_cancer", "iris", "wine", "digits", "diabetes"]


def _batch(columns: int) -> int:
    return int(min(100_000, max(10_000, 8 * 2**20 // (8 * columns))))


def _cases() -> list[tuple[str, str]]:
    """Each rung once per kind of task, the classifiers rotating over the classification sets."""
    applies: dict[str, list[str]] = {}
    kinds = {}
    for name in DATASETS:
        ds = load_dataset(f"sklearn:{name}")
        kinds[name] = "regression" if ds.task == "regression" else "classification"
        ctx = _context(ds.X, ds.task, ds.y.nunique() if ds.task != "regression" else 0, 0)
        for rung, spec in RUNGS.items():
            if ds.task in spec.tasks and (spec.applies is None or spec.applies(ctx)):
                applies.setdefault(rung, []).append(name)
    out = []
    for kind in ("classification", "regression"):
        turn = 0
        names = [n for n in DATASETS if kinds[n] == kind]
        for rung, where in applies.items():
            fits = [n for n in names if n in where]
            if fits:
                pick = names[turn % len(names)]
                out.append((pick if pick in fits else fits[0], rung))
                turn += 1
    assert {d for d, _ in out} == set(DATASETS)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(("dataset", "rung"), _cases())
def test_the_estimate_is_within_25_percent_of_the_measurement(
    dataset: str, rung: str, tmp_path: Path
) -> None:
    spec = RUNGS[rung]
    if spec.needs and importlib.util.find_spec(spec.needs) is None:
        pytest.skip(f"{spec.needs} is not installed")
    ds = load_dataset(f"sklearn:{dataset}")
    X, y = ds.X, ds.y
    if ds.task != "regression":  # XGBoost wants class codes, as the ladder gives it
        y = pd.Series(pd.factorize(y, sort=True)[0])
    ctx = _context(X, ds.task, int(y.nunique()) if ds.task != "regression" else 0, 0)
    model = spec.build(ctx).fit(X, y)
    data, _, filename = model_bytes(model)
    path = tmp_path / filename
    path.write_bytes(data)
    batch = _batch(X.shape[1])
    measured = probe_memory(path, X, batch=batch)
    loaded, _ = load_model(path)
    est = estimate_memory(loaded, rows=batch, row_bytes=X.shape[1] * 8, n_input=X.shape[1])
    total = measured["live_bytes"] + measured["batch_peak_bytes"]
    ratio = est.total / total
    detail = (
        f"{dataset}/{rung}, {batch:,} rows a batch: estimated {format_bytes(est.total)}, measured {format_bytes(total)} "
        f"(ratio {ratio:.2f}); model {format_bytes(est.model_bytes)} vs live "
        f"{format_bytes(measured['live_bytes'])}, batch {format_bytes(est.batch_peak)} vs "
        f"{format_bytes(measured['batch_peak_bytes'])}; parts: "
        + "; ".join(
            f"{p.name} {format_bytes(p.bytes)} ({p.formula})" for p in est.model + est.batch
        )
    )
    assert abs(ratio - 1) <= TOLERANCE, detail
