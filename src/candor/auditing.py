"""The edges of the audit: a project's split or two files in, a report out, recorded in MLflow."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from candor.audit import AuditReport, audit
from candor.data import content_hash, read_table
from candor.errors import DataError
from candor.project import Project, make_workspace
from candor.report import audit_html
from candor.tracking import Tracker


@dataclass(frozen=True)
class AuditRun:
    """An audit report and the MLflow run it was recorded as (None when not tracked)."""

    report: AuditReport
    run_id: str | None
    dataset_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.report.to_dict(),
            "dataset_hash": self.dataset_hash,
            "mlflow_run_id": self.run_id,
        }


def _record(tracker: Tracker, report: AuditReport, dataset_hash: str, run_name: str) -> str:
    counts = {
        sev: sum(f.severity == sev for f in report.findings) for sev in ("error", "warning", "info")
    }
    return tracker.log_run(
        run_name,
        metrics={f"audit_{sev}s": float(n) for sev, n in counts.items()},
        params={
            "n_train": report.n_train,
            "n_test": report.n_test,
            "checks": ",".join(report.checks_run),
        },
        tags={
            "candor.kind": "audit",
            "candor.audit.verdict": report.verdict,
            "candor.dataset_hash": dataset_hash,
        },
        documents={"audit.json": report.to_dict()},
        texts={"audit.html": audit_html(report)},
    )


def audit_project(
    path: str | Path = ".",
    *,
    track: bool = True,
    on_check: Callable[[str, int, int], None] | None = None,
) -> AuditRun:
    """Audit the split a project's ``candor.toml`` describes."""
    project = Project.load(path)
    ds = project.dataset()
    split = project.split(ds)
    frame = ds.frame
    report = audit(
        frame.iloc[split.train],
        frame.iloc[split.test],
        ds.target,
        group=ds.group,
        time=ds.time,
        task=ds.task,
        seed=project.config.data.seed,
    )
    run_id = _record(project.tracker(), report, ds.content_hash, "audit") if track else None
    return AuditRun(report, run_id, ds.content_hash)


def audit_files(
    train: str | Path,
    test: str | Path | None,
    target: str,
    *,
    split_column: str | None = None,
    group: str | None = None,
    time: str | None = None,
    task: str | None = None,
    track: bool = True,
    cwd: str | Path = ".",
    on_check: Callable[[str, int, int], None] | None = None,
) -> AuditRun:
    """Audit two files, or one file with a column naming each row's split ("train"/"test")."""
    for p in (train, test):
        if p is not None and not Path(p).is_file():
            raise DataError(f"file {p} does not exist (give a CSV or Parquet path)")
    a = read_table(str(train))
    if test is not None:
        b = read_table(str(test))
    else:
        if split_column is None:
            raise DataError("give --test FILE, or --split-column COLUMN naming each row's split")
        if split_column not in a.columns:
            raise DataError(f"split column {split_column!r} is not in {train}")
        sides = a[split_column].astype(str).str.lower()
        if not set(sides.unique()) <= {"train", "test"}:
            raise DataError(
                f"split column {split_column!r} must hold 'train' or 'test', got {sorted(sides.unique())[:5]}"
            )
        a, b = (
            a[sides == "train"].drop(columns=split_column),
            a[sides == "test"].drop(columns=split_column),
        )
    report = audit(a, b, target, group=group, time=time, task=task, on_check=on_check)
    digest = hashlib.sha256((content_hash(a) + content_hash(b)).encode()).hexdigest()
    run_id = None
    if track:
        tracker = Tracker.for_workspace(make_workspace(Path(cwd).resolve()))
        run_id = _record(tracker, report, digest, f"audit {Path(train).name}")
    return AuditRun(report, run_id, digest)
