"""Splits that do not leak: groups never straddle, time runs forward, classes keep their shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from candor.data import Dataset, Split, content_hash, split_dataset
from candor.errors import DataError


def _dataset(
    frame: pd.DataFrame,
    *,
    task: str = "binary",
    group: str | None = None,
    time: str | None = None,
) -> Dataset:
    return Dataset(frame, "y", task, "in-memory", group, time, content_hash(frame))  # type: ignore[arg-type]


@pytest.fixture
def visits() -> pd.DataFrame:
    """300 visits by 40 customers over 30 days, several visits per customer and per day."""
    rng = np.random.default_rng(1)
    n = 300
    return pd.DataFrame(
        {
            "customer_id": rng.integers(0, 40, n),
            "day": rng.integers(0, 30, n),
            "x": rng.normal(size=n),
            "y": rng.integers(0, 2, n),
        }
    )


def _is_partition(split: Split, n: int) -> bool:
    both = np.concatenate([split.train, split.test])
    return bool(np.array_equal(np.sort(both), np.arange(n)))


@pytest.mark.parametrize("seed", range(8))
def test_group_split_never_puts_one_customer_on_both_sides(visits: pd.DataFrame, seed: int) -> None:
    split = split_dataset(_dataset(visits, group="customer_id"), test_size=0.3, seed=seed)
    train_groups = set(visits["customer_id"].iloc[split.train])
    test_groups = set(visits["customer_id"].iloc[split.test])
    assert split.strategy == "group"
    assert train_groups.isdisjoint(test_groups)
    assert _is_partition(split, len(visits))
    assert split.train.size > 0 and split.test.size > 0


@pytest.mark.parametrize("test_size", [0.1, 0.25, 0.5, 0.8])
def test_time_split_puts_every_test_row_strictly_after_every_train_row(
    visits: pd.DataFrame, test_size: float
) -> None:
    # 300 rows on 30 days: every day is shared by several rows, so the cut falls inside ties
    split = split_dataset(_dataset(visits, time="day"), test_size=test_size, seed=0)
    days = visits["day"].to_numpy()
    assert split.strategy == "time"
    assert days[split.train].max() < days[split.test].min()
    assert _is_partition(split, len(visits))


def test_time_split_with_a_heavy_tie_at_the_end_still_runs_forward() -> None:
    frame = pd.DataFrame({"t": [1, 2, 3, 3, 3, 3, 3, 3], "x": range(8), "y": [0, 1] * 4})
    split = split_dataset(_dataset(frame, time="t"), test_size=0.25, seed=0)
    t = frame["t"].to_numpy()
    assert t[split.train].max() < t[split.test].min()
    assert _is_partition(split, len(frame))


def test_time_split_works_on_dates() -> None:
    days = pd.to_datetime(["2024-03-01", "2024-01-01", "2024-02-01", "2024-01-01"] * 5)
    frame = pd.DataFrame({"when": days, "x": range(20), "y": [0, 1] * 10})
    split = split_dataset(_dataset(frame, time="when"), test_size=0.25, seed=0)
    assert frame["when"].iloc[split.train].max() < frame["when"].iloc[split.test].min()


def test_time_split_does_not_depend_on_the_seed(visits: pd.DataFrame) -> None:
    ds = _dataset(visits, time="day")
    a, b = split_dataset(ds, seed=0), split_dataset(ds, seed=99)
    assert np.array_equal(a.test, b.test)


def test_group_and_time_declared_together_keep_groups_on_one_side() -> None:
    # customers arrive over time and keep visiting: test holds the customers first seen after the cut
    rng = np.random.default_rng(2)
    rows = [
        (c, first + int(k), rng.normal(), int(rng.integers(0, 2)))
        for c, first in enumerate(range(0, 40))
        for k in rng.integers(0, 10, size=6)
    ]
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "x", "y"])
    split = split_dataset(_dataset(frame, group="customer_id", time="day"), seed=0)
    days = frame["day"].to_numpy()
    assert split.strategy == "group+time"
    assert days[split.train].max() < days[split.test].min()
    train_groups = set(frame["customer_id"].iloc[split.train])
    assert train_groups.isdisjoint(set(frame["customer_id"].iloc[split.test]))
    # every row is accounted for: train, test, or reported as dropped
    every = np.sort(np.concatenate([split.train, split.test, split.dropped]))
    assert np.array_equal(every, np.arange(len(frame)))
    assert split.to_dict()["n_dropped"] == split.dropped.size > 0


def test_group_and_time_without_new_groups_after_the_cut_is_a_data_error(
    visits: pd.DataFrame,
) -> None:
    # every customer also visited on day 0: no customer is new after any cut
    first_day = pd.DataFrame({"customer_id": range(40), "day": 0, "x": 0.0, "y": 0})
    frame = pd.concat([visits, first_day], ignore_index=True)
    with pytest.raises(DataError, match="first appears after the time cut"):
        split_dataset(_dataset(frame, group="customer_id", time="day"), seed=0)


def test_stratified_split_keeps_class_proportions() -> None:
    # 10% positives: an unstratified split of 100 test rows could easily hold 5 or 15
    y = np.array([1] * 40 + [0] * 360)
    frame = pd.DataFrame({"x": np.arange(400), "y": y})
    for seed in range(5):
        split = split_dataset(_dataset(frame), test_size=0.25, seed=seed)
        assert split.strategy == "stratified"
        assert y[split.test].sum() == 10
        assert y[split.train].sum() == 30


def test_stratified_split_keeps_every_class_of_a_multiclass_target() -> None:
    y = np.repeat(["a", "b", "c"], [100, 60, 20])
    frame = pd.DataFrame({"x": np.arange(180), "y": y})
    split = split_dataset(_dataset(frame, task="multiclass"), test_size=0.25, seed=3)
    counts = pd.Series(y[split.test]).value_counts().to_dict()
    assert counts == {"a": 25, "b": 15, "c": 5}


def test_regression_and_singleton_classes_fall_back_to_a_random_split() -> None:
    frame = pd.DataFrame({"x": np.arange(40), "y": np.linspace(0, 1, 40)})
    assert split_dataset(_dataset(frame, task="regression")).strategy == "random"
    lonely = pd.DataFrame({"x": np.arange(40), "y": [0] * 20 + [1] * 19 + [2]})
    assert split_dataset(_dataset(lonely, task="multiclass")).strategy == "random"


@pytest.mark.parametrize("group", [None, "customer_id"])
def test_splits_are_deterministic_given_the_seed_and_change_with_it(
    visits: pd.DataFrame, group: str | None
) -> None:
    ds = _dataset(visits, group=group)
    first, again = split_dataset(ds, seed=5), split_dataset(ds, seed=5)
    other = split_dataset(ds, seed=6)
    assert np.array_equal(first.train, again.train)
    assert np.array_equal(first.test, again.test)
    assert not np.array_equal(first.test, other.test)


def test_split_to_dict_records_strategy_seed_and_sizes(visits: pd.DataFrame) -> None:
    split = split_dataset(_dataset(visits, group="customer_id"), test_size=0.3, seed=11)
    assert split.to_dict() == {
        "strategy": "group",
        "seed": 11,
        "test_size": 0.3,
        "n_train": split.train.size,
        "n_test": split.test.size,
        "n_dropped": 0,
    }
    assert split.to_dict()["n_train"] + split.to_dict()["n_test"] == len(visits)


def test_unsplittable_inputs_are_data_errors(visits: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="test_size"):
        split_dataset(_dataset(visits), test_size=1.0)
    one_group = visits.assign(customer_id=1)
    with pytest.raises(DataError, match="single value"):
        split_dataset(_dataset(one_group, group="customer_id"))
    holes = visits.assign(customer_id=visits["customer_id"].where(visits["x"] > 0))
    with pytest.raises(DataError, match="missing values"):
        split_dataset(_dataset(holes, group="customer_id"))
    with pytest.raises(DataError, match="single value"):
        split_dataset(_dataset(visits.assign(day=3), time="day"))
