"""Adversarial validation: a shifted test set is told apart; a random split is not."""

from __future__ import annotations

from candor.audit import audit
from candor.data import load_dataset, split_dataset


def test_a_random_split_shows_no_shift_and_a_shifted_column_is_named() -> None:
    ds = load_dataset("sklearn:breast_cancer")
    split = split_dataset(ds, seed=0)
    train, test = ds.frame.iloc[split.train], ds.frame.iloc[split.test].copy()
    assert audit(train, test, "target", checks=["split_shift"]).findings == ()
    test["mean texture"] += 3 * train["mean texture"].std()
    (found,) = audit(train, test, "target", checks=["split_shift"]).findings
    assert found.severity == "warning" and found.score is not None
    assert found.score.low > 0.6
    assert found.examples[0]["column"] == "mean texture"
