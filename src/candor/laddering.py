"""The edges of the ladder: a project's training split in, the climb recorded in MLflow, the
recommended model scored once on the held-out test split."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor.errors import CandorError
from candor.ladder import LadderResult, ladder
from candor.ladder._climb import Progress, RungResult
from candor.ladder._measure import model_bytes, native_files
from candor.project import Project
from candor.stats import Estimate, evaluate
from candor.tracking import Tracker, estimate_metrics, git_commit


@dataclass
class LadderRun:
    """A climb, its MLflow parent run, and the recommended rung's score on held-out rows."""

    result: LadderResult
    run_id: str | None
    dataset_hash: str
    n_test: int
    held_out: dict[str, Estimate] = field(default_factory=dict)
    held_out_note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.result.to_dict(),
            "dataset_hash": self.dataset_hash,
            "mlflow_run_id": self.run_id,
            "held_out": {
                "rung": self.result.recommended,
                "n_test": self.n_test,
                "scores": {k: v.to_dict() for k, v in self.held_out.items()},
                "note": self.held_out_note,
            },
        }


def _held_out(
    result: LadderResult,
    test: pd.DataFrame,
    features: list[str],
    target: str,
    metrics: list[str],
    seed: int,
) -> tuple[dict[str, Estimate], str]:
    """Score the recommended model, refitted on all training rows, on the untouched test split."""
    if result.recommended is None:
        return {}, "no rung was recommended"
    model = result.rung(result.recommended).model
    X, y = test[features], test[target]
    if result.task == "regression":
        ev = evaluate(y.to_numpy(dtype=float), model.predict(X), metrics=metrics, seed=seed)
        return dict(ev.metrics), ""
    unseen = sorted(set(y) - set(result.classes), key=str)
    if unseen:
        return {}, f"the test split has classes the training split lacks: {unseen}"
    proba = np.asarray(model.predict_proba(X))
    labels = np.asarray(result.classes)
    score = proba[:, 1] if result.task == "binary" else proba
    ev = evaluate(
        y.to_numpy(),
        labels[np.argmax(proba, axis=1)],
        score,
        metrics=metrics,
        task=result.task,
        seed=seed,
    )
    return dict(ev.metrics), ""


def _rung_metrics(r: RungResult) -> dict[str, float]:
    out = estimate_metrics("", r.scores)
    extra = {"fit_seconds": r.fit_seconds, "fit_peak_mb": r.fit_peak_mb}
    if r.latency is not None:
        extra.update(
            {
                "latency_single_p50_ms": r.latency.single_p50_ms,
                "latency_single_p99_ms": r.latency.single_p99_ms,
                "latency_batch_per_row_ms": r.latency.batch_per_row_ms,
            }
        )
    out.update(estimate_metrics("", {k: v for k, v in extra.items() if v is not None}))
    if r.size_mb is not None:
        out["size_mb"] = r.size_mb
    return out


def record_ladder(
    tracker: Tracker,
    result: LadderResult,
    *,
    dataset_hash: str,
    held_out: dict[str, Estimate],
    project_root: Path | None = None,
) -> str:
    """A parent run for the climb and a nested run per rung, with each fitted model (skops, or a
    torch state_dict for the CNN)."""
    tags = {
        "candor.kind": "ladder",
        "candor.dataset_hash": dataset_hash,
        "candor.task": result.task,
        "candor.ladder.recommended": result.recommended or "",
        "candor.ladder.leader": result.leader or "",
    }
    commit = git_commit(project_root) if project_root else None
    if commit:
        tags["candor.git_commit"] = commit
    rec = result.rung(result.recommended) if result.recommended else None
    metrics = estimate_metrics("cv_", rec.scores) if rec else {}
    metrics.update(estimate_metrics("test_", held_out))
    parent = tracker.log_run(
        "ladder",
        metrics=metrics,
        params={
            "metric": result.metric,
            "rungs": ",".join(r.name for r in result.rungs),
            "n_rows": result.n_rows,
            "budget_s": result.budget_s,
        },
        tags=tags,
        documents={"leaderboard.json": result.to_dict()},
        texts={"recommendation.txt": result.sentence + "\n"},
    )
    for r in result.rungs:
        files = None
        if r.model is not None:
            data, _, filename = model_bytes(r.model)
            files = {f"model/{filename}": data, **native_files(r.model)}
        tracker.log_run(
            r.name,
            metrics=_rung_metrics(r),
            params={"rung": r.name, "status": r.status, "rows_fitted": r.rows_fitted},
            tags={
                "candor.kind": "ladder rung",
                "candor.dataset_hash": dataset_hash,
                "candor.rung.status": r.status,
                "candor.rung.reason": r.reason,
                "candor.rung.size_format": r.size_format,
            },
            documents={"rung.json": r.to_dict()},
            files=files,
            parent_run_id=parent,
        )
    return parent


def ladder_project(
    path: str | Path = ".",
    *,
    rungs: list[str] | None = None,
    budget_s: float | None = None,
    n_jobs: int = 1,
    tune: int = 0,
    track: bool = True,
    on_progress: Progress | None = None,
) -> LadderRun:
    """Climb the ladder on a project's training split; score the recommendation on its test split."""
    project = Project.load(path)
    cfg = project.config
    ds = project.dataset()
    split = project.split(ds)
    frame, features = ds.frame, ds.features
    train, test = frame.iloc[split.train], frame.iloc[split.test]
    result = ladder(
        train[features],
        train[ds.target],
        task=ds.task,
        metric=cfg.metric.primary,
        secondary=cfg.metric.secondary,
        rungs=rungs,
        groups=None if ds.group is None else train[ds.group].to_numpy(),
        time_order=None if ds.time is None else train[ds.time].to_numpy(),
        budget_s=budget_s,
        latency_budget_ms=cfg.budgets.latency_p99_ms,
        size_budget_mb=cfg.budgets.model_mb,
        n_jobs=n_jobs,
        tune=tune,
        seed=cfg.data.seed,
        n_resamples=cfg.metric.n_resamples,
        on_progress=on_progress,
    )
    metrics = [cfg.metric.primary] + [m for m in cfg.metric.secondary if m != cfg.metric.primary]
    try:
        held_out, note = _held_out(result, test, features, ds.target, metrics, cfg.data.seed)
    except CandorError as exc:  # e.g. a class the test split lacks: the climb still stands
        held_out, note = {}, f"the test split cannot be scored: {exc}"
    run_id = None
    if track:
        run_id = record_ladder(
            project.tracker(),
            result,
            dataset_hash=ds.content_hash,
            held_out=held_out,
            project_root=project.root,
        )
    return LadderRun(result, run_id, ds.content_hash, len(test), held_out, note)
