"""Evaluating a file of predictions made anywhere: the library side of ``candor evaluate``."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from candor.config import find_config
from candor.data import content_hash, read_table
from candor.errors import DataError
from candor.project import Project, log_evaluation, make_workspace
from candor.stats import Evaluation, evaluate
from candor.tracking import Tracker


@dataclass(frozen=True)
class FileEvaluation:
    """An evaluation of a predictions file, and where it was recorded (None when not tracked)."""

    evaluation: Evaluation
    run_id: str | None
    tracking_uri: str | None

    def to_dict(self) -> dict[str, Any]:
        return {**self.evaluation.to_dict(), "mlflow_run_id": self.run_id}


def _check_columns(path: Path, columns: list[str], needed: list[str]) -> None:
    missing = [c for c in needed if c not in columns]
    if not missing:
        return
    hints = []
    for c in missing:
        near = difflib.get_close_matches(c, columns, n=1)
        hints.append(f"{c!r}" + (f" (did you mean {near[0]!r}?)" if near else ""))
    raise DataError(f"{path} has no column {', '.join(hints)}. Columns: {', '.join(columns)}")


def evaluate_file(
    path: str | Path,
    target: str,
    pred: str | None = None,
    proba: list[str] | None = None,
    *,
    group: str | None = None,
    metrics: list[str] | None = None,
    task: str | None = None,
    level: float = 0.95,
    n_resamples: int = 10_000,
    method: str = "auto",
    seed: int = 0,
    track: bool = True,
    run_name: str | None = None,
    cwd: str | Path = ".",
) -> FileEvaluation:
    """Evaluate the predictions in a CSV or Parquet file and record the run in MLflow.

    Costs and the tracking store come from the project ``cwd`` belongs to; outside a project the
    run goes to ``cwd/.candor``.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"predictions file {p} does not exist (give a CSV or Parquet path)")
    if pred is None and not proba:
        raise DataError(
            "give the predictions: --pred COLUMN (labels or values) and/or --proba COLUMN(s)"
        )
    frame = read_table(str(p))
    if frame.shape[0] == 0:
        raise DataError(f"{p} has no rows")
    columns = [str(c) for c in frame.columns]
    _check_columns(
        p, columns, [target, *([pred] if pred else []), *(proba or []), *([group] if group else [])]
    )
    score = None
    if proba:
        score = frame[proba[0]].to_numpy() if len(proba) == 1 else frame[proba].to_numpy()
    found = find_config(cwd)
    project = Project.load(found) if found else None
    ev = evaluate(
        frame[target],
        frame[pred] if pred else None,
        score,
        metrics=metrics or None,
        task=task,
        groups=frame[group].to_numpy() if group else None,
        costs=project.costs if project else None,
        level=level,
        n_resamples=n_resamples,
        method=method,
        seed=seed,
    )
    if not track:
        return FileEvaluation(ev, None, None)
    root = project.root if project else Path(cwd).resolve()
    tracker = project.tracker() if project else Tracker.for_workspace(make_workspace(root))
    run_id = log_evaluation(
        tracker,
        ev,
        run_name=run_name or f"evaluate {p.name}",
        dataset_hash=content_hash(frame),
        project_root=root,
        params={
            "predictions": str(p),
            "target": target,
            "pred": pred,
            "proba": proba,
            "method": method,
        },
    )
    return FileEvaluation(ev, run_id, tracker.uri)
