"""Loading tables: CSV, Parquet, and data sets that ship with installed packages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor._task import TASKS, Task, infer_task
from candor.data._hash import content_hash
from candor.errors import DataError


def _sklearn(loader_name: str) -> Callable[[], tuple[pd.DataFrame, str]]:
    def load() -> tuple[pd.DataFrame, str]:
        from sklearn import datasets

        bunch = getattr(datasets, loader_name)(as_frame=True)
        frame = bunch.frame.copy()
        target = "target"
        names = getattr(bunch, "target_names", None)
        if (
            names is not None
            and len(names)
            and isinstance(names[0], str)
            and loader_name != "load_digits"
        ):
            frame[target] = np.asarray(names)[frame[target].to_numpy()]
        return frame, target

    return load


#: bundled sets: shipped inside scikit-learn, no network (never the ``fetch_*`` loaders)
BUNDLED: dict[str, Callable[[], tuple[pd.DataFrame, str]]] = {
    "sklearn:breast_cancer": _sklearn("load_breast_cancer"),
    "sklearn:iris": _sklearn("load_iris"),
    "sklearn:wine": _sklearn("load_wine"),
    "sklearn:digits": _sklearn("load_digits"),
    "sklearn:diabetes": _sklearn("load_diabetes"),
}


@dataclass(frozen=True)
class Dataset:
    """A table with its target, task and optional group/time columns, and its content hash."""

    frame: pd.DataFrame
    target: str
    task: Task
    source: str
    group: str | None = None
    time: str | None = None
    content_hash: str = field(default="")

    @property
    def features(self) -> list[str]:
        skip = {self.target, self.group, self.time}
        return [c for c in self.frame.columns if c not in skip]

    @property
    def X(self) -> pd.DataFrame:
        return self.frame[self.features]

    @property
    def y(self) -> pd.Series:
        return self.frame[self.target]

    @property
    def n_rows(self) -> int:
        return int(self.frame.shape[0])


def read_table(source: str, base_dir: str | Path = ".") -> pd.DataFrame:
    """Read ``source``: a bundled name (``sklearn:iris``), or a CSV/Parquet path relative to ``base_dir``."""
    if source in BUNDLED:
        return BUNDLED[source]()[0]
    if ":" in source and not Path(source).exists() and source.split(":", 1)[0] in {"sklearn"}:
        raise DataError(f"unknown bundled data set {source!r}; available: {', '.join(BUNDLED)}")
    path = Path(base_dir) / source
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a data file: give a CSV or Parquet file")
    if not path.exists():
        raise DataError(
            f"data file {path} does not exist. Check [data] source in candor.toml, or use a bundled "
            f"set: {', '.join(BUNDLED)}"
        )
    suffix = path.suffix.lower()
    try:
        if suffix in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        if suffix in {".csv", ".txt", ".tsv"}:
            return pd.read_csv(path, sep="\t" if suffix == ".tsv" else ",")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, OSError, ValueError) as exc:
        raise DataError(f"could not read {path}: {exc}. Is it a valid {suffix[1:]} file?") from exc
    raise DataError(f"cannot read {path}: unsupported file type {suffix!r}; use .csv or .parquet")


def load_dataset(
    source: str,
    target: str | None = None,
    *,
    base_dir: str | Path = ".",
    task: str | None = None,
    group: str | None = None,
    time: str | None = None,
) -> Dataset:
    """Load a table and check it is usable for supervised learning on ``target``.

    >>> ds = load_dataset("sklearn:breast_cancer")
    >>> ds.task, ds.n_rows
    ('binary', 569)
    """
    if source in BUNDLED:
        frame, default_target = BUNDLED[source]()
        target = target or default_target
    else:
        frame = read_table(source, base_dir)
        if target is None:
            raise DataError(f"name the target column of {source} ([data] target in candor.toml)")
    _check_frame(frame, source, target, group, time)
    if task is None:
        task = infer_task(frame[target])
    elif task not in TASKS:
        raise DataError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    n_classes = int(frame[target].nunique())
    if task == "binary" and n_classes > 2:
        raise DataError(
            f"task is binary but target {target!r} has {n_classes} classes in {source}; "
            'set [data] task = "multiclass", or leave task unset to infer it'
        )
    if task != "regression" and n_classes < 2:
        only = frame[target].iloc[0]
        only = only.item() if hasattr(only, "item") else only
        raise DataError(
            f"target {target!r} has a single class ({only!r}) in {source}: nothing to learn or "
            "evaluate. Check the filter that produced this file, or the target column."
        )
    if time is not None:
        frame = frame.assign(**{time: _as_time(frame[time], time, source)})
    return Dataset(frame, target, task, source, group, time, content_hash(frame))


def _check_frame(
    frame: pd.DataFrame, source: str, target: str, group: str | None, time: str | None
) -> None:
    if frame.shape[0] == 0:
        raise DataError(f"{source} has no rows. Check the file, or the query that wrote it.")
    for role, col in (("target", target), ("group", group), ("time", time)):
        if col is not None and col not in frame.columns:
            import difflib

            near = difflib.get_close_matches(col, [str(c) for c in frame.columns], n=1)
            hint = f" Did you mean {near[0]!r}?" if near else ""
            names = list(map(str, frame.columns))
            cols = ", ".join(names[:20]) + (
                f" and {len(names) - 20} more (the last: {names[-1]})" if len(names) > 20 else ""
            )
            raise DataError(f"{role} column {col!r} is not in {source}.{hint} Columns: {cols}")
    missing = int(frame[target].isna().sum())
    if missing:
        raise DataError(
            f"target {target!r} has {missing} missing values in {source}; drop or label those rows"
        )
    if frame.shape[1] < 2:
        raise DataError(f"{source} has only the target column; there are no features")


def _as_time(col: pd.Series, name: str, source: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_datetime64_any_dtype(col):
        return col
    try:
        return pd.to_datetime(col)
    except (ValueError, TypeError) as exc:
        raise DataError(f"time column {name!r} in {source} is not a date or number: {exc}") from exc


def describe_sources() -> dict[str, Any]:
    """The bundled sets, for help texts."""
    return {"bundled": list(BUNDLED)}
