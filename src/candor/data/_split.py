"""Train/test splits that do not leak: groups never straddle, time runs forward, classes stratified."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from candor.data._load import Dataset
from candor.errors import DataError

Strategy = Literal["group", "time", "group+time", "stratified", "random"]


@dataclass(frozen=True)
class Split:
    """Row positions of the train and test sets, and how (and with which seed) they were drawn."""

    train: np.ndarray
    test: np.ndarray
    strategy: Strategy
    seed: int
    test_size: float
    #: rows in neither set: with both group and time, rows of train groups dated after the cut
    dropped: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def to_dict(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "seed": self.seed,
            "test_size": self.test_size,
            "n_train": int(self.train.shape[0]),
            "n_test": int(self.test.shape[0]),
            "n_dropped": int(self.dropped.shape[0]),
        }


def split_dataset(ds: Dataset, test_size: float = 0.25, seed: int = 0) -> Split:
    """Split ``ds``: by time if it has a time column, else by group, else stratified by class.

    With both time and group, test holds the groups first seen after the time cut (new entities,
    later in time); rows of the training groups dated after the cut belong to neither side and are
    reported in ``dropped``, so that no group straddles and every test row is later than every
    training row.

    >>> from candor.data import load_dataset
    >>> s = split_dataset(load_dataset("sklearn:iris"), seed=1)
    >>> s.strategy, len(s.train) + len(s.test)
    ('stratified', 150)
    """
    if not 0 < test_size < 1:
        raise DataError(f"test_size must be between 0 and 1, got {test_size}")
    n = ds.n_rows
    positions = np.arange(n)
    if ds.group is not None:
        groups = ds.frame[ds.group].to_numpy()
        if ds.frame[ds.group].isna().any():
            raise DataError(
                f"group column {ds.group!r} has missing values; every row needs a group"
            )
        if len(np.unique(groups)) < 2:
            raise DataError(f"group column {ds.group!r} has a single value: cannot split by group")
    if ds.time is not None:
        split = _time_split(ds, test_size, seed)
        return split if ds.group is None else _keep_groups_whole(ds, split)
    if ds.group is not None:
        gss = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
        train, test = next(gss.split(positions, groups=groups))
        return Split(np.sort(train), np.sort(test), "group", seed, test_size)
    y = ds.y.to_numpy()
    stratify = None
    if ds.task != "regression":
        _, counts = np.unique(y, return_counts=True)
        if counts.min() >= 2:
            stratify = y
    train, test = train_test_split(
        positions, test_size=test_size, random_state=seed, stratify=stratify
    )
    strategy: Strategy = "stratified" if stratify is not None else "random"
    return Split(np.sort(train), np.sort(test), strategy, seed, test_size)


def _time_split(ds: Dataset, test_size: float, seed: int) -> Split:
    assert ds.time is not None
    t = ds.frame[ds.time]
    if t.isna().any():
        raise DataError(f"time column {ds.time!r} has missing values; every row needs a time")
    # cut at a time boundary so that every test row is strictly after every train row
    cut = t.quantile(1 - test_size, interpolation="lower") if t.nunique() > 1 else None
    if cut is None:
        raise DataError(f"time column {ds.time!r} has a single value: cannot split by time")
    values = t.to_numpy()
    train = np.flatnonzero(values <= cut)
    test = np.flatnonzero(values > cut)
    if test.size == 0:
        train = np.flatnonzero(values < cut)
        test = np.flatnonzero(values >= cut)
    if train.size == 0 or test.size == 0:
        raise DataError(f"time column {ds.time!r} does not allow a split at test_size={test_size}")
    return Split(train, test, "time", seed, test_size)


def _keep_groups_whole(ds: Dataset, by_time: Split) -> Split:
    assert ds.group is not None and ds.time is not None
    groups = ds.frame[ds.group].to_numpy()
    t = ds.frame[ds.time].to_numpy()
    cut = t[by_time.train].max()
    first_seen = ds.frame.groupby(ds.group, sort=False)[ds.time].min()
    new = set(first_seen.index[first_seen.to_numpy() > cut])
    is_new = np.fromiter((g in new for g in groups), dtype=bool, count=groups.shape[0])
    test = np.flatnonzero(is_new)
    train = np.flatnonzero(~is_new & (t <= cut))
    dropped = np.flatnonzero(~is_new & (t > cut))
    if test.size == 0 or train.size == 0:
        raise DataError(
            f"no {ds.group!r} first appears after the time cut at test_size={by_time.test_size}: "
            "every group has history before it, so a split by both time and group would leave the "
            "test set empty. Increase test_size, or drop `group` or `time` from [data]."
        )
    return Split(train, test, "group+time", by_time.seed, by_time.test_size, dropped)
