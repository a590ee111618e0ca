"""Folds that do not leak: groups kept apart, the future never used to predict the past."""

from __future__ import annotations

import numpy as np

from candor.ladder import ladder
from candor.ladder._climb import FOLDS, _folds
from tests.ladder._data import gaussian_features


def _labels(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2, n)


def test_group_folds_keep_each_group_on_one_side() -> None:
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 37, 600)
    folds = _folds(_labels(600), "binary", groups, None, seed=0)
    assert len(folds) == FOLDS
    tested = np.concatenate([test for _, test in folds])
    assert sorted(tested) == list(range(600))  # every row is tested exactly once
    for train, test in folds:
        assert not set(groups[train]) & set(groups[test])


def test_time_folds_train_on_the_past_only() -> None:
    rng = np.random.default_rng(2)
    times = rng.permutation(500).astype(float)  # distinct times, rows in random order
    folds = _folds(_labels(500), "binary", None, times, seed=0)
    assert len(folds) == FOLDS
    for train, test in folds:
        assert len(train) and len(test)
        assert times[train].max() < times[test].min()
    # later folds train on more of the past
    assert [len(tr) for tr, _ in folds] == sorted(len(tr) for tr, _ in folds)


def test_the_ladder_respects_groups_and_time() -> None:
    X = gaussian_features(300, 3, seed=4)
    y = (X["x0"] > 0).astype(int).to_numpy()
    groups = np.random.default_rng(4).integers(0, 30, 300)
    by_group = ladder(X, y, rungs=["dummy", "linear"], groups=groups)
    assert by_group.n_evaluated == 300
    # the paired comparison resamples whole groups: its n counts groups, not rows
    assert by_group.comparisons["dummy"]["difference"]["n"] == len(np.unique(groups))
    times = np.random.default_rng(5).permutation(300)
    by_time = ladder(X, y, rungs=["dummy", "linear"], time_order=times)
    # the oldest block is only ever trained on: it has no past to be predicted from
    assert by_time.n_evaluated == 300 - 300 // (FOLDS + 1)
    assert by_time.rung("linear").scores["roc_auc"].n == by_time.n_evaluated
    assert by_time.recommended == "linear"


def test_time_folds_with_tied_times_keep_test_strictly_later() -> None:
    rng = np.random.default_rng(3)
    days = rng.permutation(np.repeat(np.arange(20), 10))  # 20 days, 10 rows each
    for train, test in _folds(_labels(200), "binary", None, days, seed=0):
        assert days[train].max() < days[test].min()


def test_groups_and_time_together_keep_groups_apart() -> None:
    rng = np.random.default_rng(6)
    groups = rng.integers(0, 40, 400)
    times = rng.permutation(400)
    for train, test in _folds(_labels(400), "binary", groups, times, seed=0):
        assert times[train].max() < times[test].min()
        assert not set(groups[train]) & set(groups[test])


def test_rung_scores_with_groups_resample_groups() -> None:
    X = gaussian_features(300, 3, seed=4)
    groups = np.random.default_rng(4).integers(0, 30, 300)
    # one label per group: rows of a group are far from independent
    y = (np.random.default_rng(7).random(30)[groups] > 0.5).astype(int)
    result = ladder(X, y, rungs=["dummy", "linear"], groups=groups)
    for r in result.rungs:
        assert r.scores["roc_auc"].n == len(np.unique(groups)), r.scores["roc_auc"]
