"""The edges of sizing: a project's model (a ladder rung from MLflow, the rung fitted afresh, or a
saved file) measured on the project's rows, priced against ``[budgets]`` and ``[sizing]``, and
recorded as an MLflow run."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from candor.errors import DataError
from candor.forecasting import NoRungChosen, recommended_rung
from candor.project import Project
from candor.sizing import SizeResult, WhatIf, size
from candor.tracking import Tracker, estimate_metrics, git_commit

MODEL_ARTIFACTS = ("model/model.skops", "model/cnn.pt")


@dataclass
class SizeRun:
    """A sizing and the MLflow run that records it."""

    result: SizeResult
    run_id: str | None
    dataset_hash: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_hash": self.dataset_hash,
            "mlflow_run_id": self.run_id,
            "model_source": self.source,
            "size": self.result.to_dict(),
        }


def ladder_model(tracker: Tracker, dataset_hash: str, rung: str, folder: Path) -> Path | None:
    """The model file the last ladder on this data stored for ``rung``, copied into ``folder``."""
    if not tracker.has_runs:
        return None
    parent = tracker.latest_run("ladder", {"candor.dataset_hash": dataset_hash})
    if parent is None:
        return None
    child = tracker.child_run(parent.info.run_id, rung)
    if child is None:
        return None
    for artifact in MODEL_ARTIFACTS:
        path = tracker.download(child.info.run_id, artifact, folder)
        if path is not None:
            return path
    return None


def _fit_rung(rung: str, X: Any, y: Any, task: str, seed: int) -> Any:
    from candor.ladder import RUNGS
    from candor.ladder._climb import _context

    if rung not in RUNGS:
        raise DataError(f"unknown rung {rung!r}; the rungs are {', '.join(RUNGS)}")
    spec = RUNGS[rung]
    if task not in spec.tasks:
        raise DataError(f"rung {rung!r} does not apply to a {task} task")
    ctx = _context(X, task, int(y.nunique()) if task != "regression" else 0, seed)
    if task != "regression":  # class codes, as the ladder fits them (XGBoost requires them)
        import numpy as np

        y = np.unique(np.asarray(y), return_inverse=True)[1]
    if spec.applies is not None and not spec.applies(ctx):
        raise DataError(f"rung {rung!r} does not apply to this data")
    why = spec.missing()
    if why:
        raise DataError(f"rung {rung!r} {why}")
    from candor.ladder._rungs import quiet_fits

    with quiet_fits():
        return spec.build(ctx).fit(X, y)


def _record(tracker: Tracker, run: SizeRun, project_root: Path, rung: str) -> str:
    from candor.report import size_html

    r = run.result
    metrics: dict[str, float] = {"size_file_bytes": float(r.file_bytes)}
    metrics["size_estimate_bytes"] = r.estimate.total
    metrics["size_worker_bytes"] = r.worker_bytes
    m = r.measurement
    if m is not None:
        metrics.update(
            estimate_metrics(
                "size_",
                {
                    "load_seconds": m.load_seconds,
                    "resident_bytes": m.resident_bytes,
                    "live_bytes": m.live_bytes,
                    "batch_peak_bytes": m.batch_peak_bytes,
                    "peak_bytes": m.peak_bytes,
                    "process_bytes": m.process_bytes,
                    "p50_ms": m.single_p50_ms,
                    "p99_ms": m.single_p99_ms,
                    "batch_ms_per_row": m.batch_ms_per_row,
                    "rows_per_second_per_core": m.rows_per_second_per_core,
                },
            )
        )
    if r.check is not None:
        metrics["size_estimate_ratio"] = r.check.ratio
    if r.scenario is not None:
        metrics["size_whatif_bytes"] = r.scenario.total
    p = r.placement
    if p is not None and hasattr(p, "monthly_usd"):
        metrics["size_monthly_usd"] = p.monthly_usd
    metrics = {k: v for k, v in metrics.items() if v == v and abs(v) != float("inf")}
    tags = {
        "candor.kind": "size",
        "candor.dataset_hash": run.dataset_hash,
        "candor.size.model": r.name,
        "candor.size.source": run.source,
    }
    if rung:
        tags["candor.size.rung"] = rung
    commit = git_commit(project_root)
    if commit:
        tags["candor.git_commit"] = commit
    for v in r.verdicts:
        tags[f"candor.budget.{v.budget}"] = v.verdict
    return tracker.log_run(
        "size",
        metrics=metrics,
        params={"batch": r.estimate.batch_rows, "qps": r.qps, "what_if": r.what.describe()},
        tags=tags,
        documents={"size.json": run.to_dict()},
        texts={"size.txt": r.sentence + "\n", "size.html": size_html(r)},
    )


def size_project(
    path: str | Path = ".",
    *,
    rung: str | None = None,
    model_file: str | Path | None = None,
    batch: int | None = None,
    repeats: int = 3,
    what: WhatIf | None = None,
    qps: float | None = None,
    catalogue: str | Path | None = None,
    providers: list[str] | None = None,
    measure_it: bool = True,
    track: bool = True,
) -> SizeRun:
    """Size a project's model on its own rows: a saved file, or a rung (default: the last ladder's
    recommendation), taken from the ladder's MLflow run or else fitted on the training split."""
    project = Project.load(path)
    cfg = project.config
    ds = project.dataset()
    split = project.split(ds)
    frame, features = ds.frame, ds.features
    train = frame.iloc[split.train]
    X = train[features]
    tracker = project.tracker()
    sizing = cfg.sizing
    budgets = {
        "latency_p99_ms": cfg.budgets.latency_p99_ms,
        "model_mb": cfg.budgets.model_mb,
        "monthly_usd": cfg.budgets.monthly_usd,
    }
    if catalogue is None and sizing.catalogue:
        catalogue = project.root / sizing.catalogue
    with tempfile.TemporaryDirectory(prefix="candor-size-") as tmp:
        model: Any
        if model_file is not None:
            model, source, name = Path(model_file), "a saved file", Path(model_file).name
            rung = rung or ""
        else:
            if rung is None:
                rung = recommended_rung(tracker, ds.content_hash)
                if rung is None:
                    raise NoRungChosen(
                        "no rung named and no ladder run on this data recommends one: run `candor "
                        "ladder` first, name one with --rung (e.g. --rung hist_gb), or give a saved "
                        "model with --model FILE"
                    )
            stored = ladder_model(tracker, ds.content_hash, rung, Path(tmp))
            if stored is not None:
                model, source = stored, f"the last ladder's {rung} model"
            else:
                model = _fit_rung(rung, X, train[ds.target], ds.task, cfg.data.seed)
                source = f"the {rung} rung, fitted for sizing on the {len(X):,} training rows"
            name = rung
        result = size(
            model,
            X,
            name=name,
            batch=batch or sizing.batch,
            repeats=repeats,
            what=what,
            qps=qps if qps is not None else sizing.qps,
            catalogue=catalogue,
            providers=providers or sizing.providers or None,
            budgets=budgets,
            data=frame[features],
            measure_it=measure_it,
        )
    run = SizeRun(result, None, ds.content_hash, source)
    if track:
        run.run_id = _record(tracker, run, project.root, rung or "")
    return run
