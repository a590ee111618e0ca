"""Running the audit: validate the two tables, run every registered check, collect the findings."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from candor._task import TASKS, infer_task
from candor.audit._checks import CHECKS, AuditInput
from candor.audit._findings import AuditReport, Finding
from candor.errors import DataError


def _validate(
    train: pd.DataFrame, test: pd.DataFrame, target: str, group: str | None, time: str | None
) -> None:
    for name, frame in (("train", train), ("test", test)):
        if len(frame) == 0:
            raise DataError(f"the {name} split has no rows: nothing to audit")
        for role, col in (("target", target), ("group", group), ("time", time)):
            if col is not None and col not in frame.columns:
                raise DataError(f"{role} column {col!r} is not in the {name} split")
    only_train = sorted(set(train.columns) - set(test.columns), key=str)
    only_test = sorted(set(test.columns) - set(train.columns), key=str)
    if only_train or only_test:
        raise DataError(
            f"train and test have different columns (only in train: {only_train}, only in test: "
            f"{only_test}); give both splits the same columns"
        )
    for col in train.columns:
        a, b = train[col], test[col]
        if pd.api.types.is_numeric_dtype(a) != pd.api.types.is_numeric_dtype(b) and not (
            a.isna().all() or b.isna().all()
        ):
            raise DataError(
                f"column {col!r} is {a.dtype} in train but {b.dtype} in test; fix its type in one split"
            )


def audit(
    train: pd.DataFrame,
    test: pd.DataFrame,
    target: str,
    *,
    group: str | None = None,
    time: str | None = None,
    task: str | None = None,
    checks: list[str] | None = None,
    seed: int = 0,
    on_check: Callable[[str, int, int], None] | None = None,
) -> AuditReport:
    """Audit a train/test split for leakage and integrity problems before any model is trained.

    >>> import pandas as pd
    >>> tr = pd.DataFrame({"x": range(40), "y": [0, 1] * 20})
    >>> report = audit(tr, tr.iloc[:10], "y", checks=["exact_duplicates"])
    >>> report.verdict, report.findings[0].count
    ('error', 10)
    """
    _validate(train, test, target, group, time)
    for name, frame in (("train", train), ("test", test)):
        missing = int(frame[target].isna().sum())
        if missing:
            raise DataError(
                f"target {target!r} has missing values: {missing:,} of {len(frame):,} rows in "
                f"the {name} split; drop or label those rows first"
            )
    task = task or infer_task(pd.concat([train[target], test[target]], ignore_index=True))
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    names = checks or list(CHECKS)
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise DataError(f"unknown audit check(s) {unknown}; known: {', '.join(CHECKS)}")
    inp = AuditInput(train, test, target, task, group, time, seed)
    findings: list[Finding] = []
    for i, name in enumerate(names):
        if on_check is not None:
            on_check(name, i, len(names))  # progress: which check is running, of how many
        findings.extend(CHECKS[name](inp))
    order = {"error": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: order[f.severity])
    return AuditReport(len(train), len(test), tuple(findings), tuple(names))
