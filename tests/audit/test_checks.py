"""The audit finds every planted leak and raises no error on clean data."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from candor.audit import CHECKS, Finding, audit
from candor.data import load_dataset, split_dataset
from candor.errors import DataError


def _clean(n: int = 800, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A noisy binary problem: informative but far from perfect features, mixed dtypes."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    y = (x1 + 0.5 * x2 + rng.normal(scale=1.5, size=n) > 0).astype(int)
    frame = pd.DataFrame(
        {
            "x1": x1,
            "x2": x2,
            "count": rng.poisson(3, n),
            "colour": rng.choice(["red", "green", "blue"], n),
            "y": y,
        }
    )
    cut = int(n * 0.75)
    return frame.iloc[:cut].copy(), frame.iloc[cut:].copy()


def _errors(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.check for f in report.findings if f.severity == "error"}


def _found(check: str, train: pd.DataFrame, test: pd.DataFrame, **kwargs: Any) -> list[Finding]:
    """What ``check`` finds, run alone: the checks are independent (each reads the same input and
    nothing another found), so these are its findings in a full audit, without the others' cost."""
    return list(audit(train, test, "y", checks=[check], **kwargs).findings)


@pytest.mark.parametrize("seed", range(3))
def test_clean_synthetic_data_gets_no_error(seed: int) -> None:
    train, test = _clean(seed=seed)
    assert _errors(audit(train, test, "y")) == set()


@pytest.mark.parametrize(
    "name", ["sklearn:breast_cancer", "sklearn:iris", "sklearn:wine", "sklearn:diabetes"]
)
def test_clean_bundled_sets_get_no_error(name: str) -> None:
    ds = load_dataset(name)
    split = split_dataset(ds)
    report = audit(ds.frame.iloc[split.train], ds.frame.iloc[split.test], ds.target)
    assert _errors(report) == set()


@pytest.mark.parametrize("share", [0.02, 0.1, 0.5])
def test_planted_exact_duplicates_are_counted_exactly(share: float) -> None:
    train, test = _clean()
    k = int(len(test) * share)
    test.iloc[:k] = train.iloc[:k].to_numpy()
    # dtype normalisation: an integer column stored as float in test is still the same value
    test["count"] = test["count"].astype(float)
    dup = _found("exact_duplicates", train, test)
    assert len(dup) == 1 and dup[0].severity == "error"
    assert dup[0].count == k and dup[0].denominator == len(test)
    assert dup[0].examples[0] == {"test_row": int(test.index[0]), "train_row": 0}


def test_a_single_duplicate_is_a_warning_not_an_error() -> None:
    train, test = _clean(n=4000)
    test.iloc[:1] = train.iloc[:1].to_numpy()
    dup = _found("exact_duplicates", train, test)
    assert [f.severity for f in dup] == ["warning"]


def test_a_declared_group_on_both_sides_is_an_error() -> None:
    train, test = _clean()
    train["customer"] = np.arange(len(train)) % 50
    test["customer"] = np.arange(len(test)) % 80  # 0..49 are shared
    found = _found("group_leakage", train, test, group="customer")
    assert found[0].severity == "error"
    assert found[0].count == int(test["customer"].isin(range(50)).sum())


def test_an_undeclared_entity_id_shared_across_the_split_is_suggested_as_group() -> None:
    train, test = _clean()
    train["customer_id"] = np.arange(len(train)) % 100
    test["customer_id"] = np.arange(len(test)) % 100
    found = _found("group_leakage", train, test)
    assert found and found[0].severity == "warning"
    assert 'group = "customer_id"' in found[0].fix


def test_test_rows_before_the_latest_training_row_are_temporal_leakage() -> None:
    train, test = _clean()
    train["day"] = pd.date_range("2024-01-01", periods=len(train), freq="D")
    test["day"] = pd.date_range("2024-06-01", periods=len(test), freq="D")  # overlaps train's dates
    found = _found("temporal_leakage", train, test, time="day")
    latest = train["day"].max()
    assert found[0].severity == "error" and found[0].count == int((test["day"] < latest).sum())
    # a proper time split has no such finding
    test["day"] = pd.date_range(latest + pd.Timedelta(days=1), periods=len(test), freq="D")
    assert not [f for f in audit(train, test, "y", time="day").findings if f.severity == "error"]


@pytest.mark.parametrize("noise", [0.0, 0.005])
def test_a_target_proxy_column_is_target_leakage(noise: float) -> None:
    train, test = _clean()
    rng = np.random.default_rng(1)
    for frame in (train, test):
        flip = rng.random(len(frame)) < noise
        frame["refund_issued"] = np.where(flip, 1 - frame["y"], frame["y"])
    found = _found("target_leakage", train, test)
    assert [f.severity for f in found] == ["error"]
    assert "refund_issued" in found[0].title and found[0].score is not None
    assert found[0].score.low <= found[0].score.value <= found[0].score.high


def test_missingness_that_predicts_the_target_is_target_leakage() -> None:
    train, test = _clean()
    for frame in (train, test):
        frame["notes"] = np.where(
            frame["y"] == 1, np.nan, np.random.default_rng(2).normal(size=len(frame))
        )
    titles = [f.title for f in _found("target_leakage", train, test) if f.severity == "error"]
    assert any("missing" in t for t in titles)


def _leaky_pair(train: pd.DataFrame, test: pd.DataFrame, relation: str) -> None:
    rng = np.random.default_rng(3)
    for frame in (train, test):
        if relation == "difference":  # the balance owed is the outcome
            frame["paid"] = rng.gamma(2, 50, len(frame))
            frame["due"] = frame["paid"] + np.where(frame["y"] == 1, 1.0, 0.0)
        else:  # neither text column alone says anything; together they are the label
            region = rng.integers(0, 2, len(frame))
            frame["region"] = np.where(region == 1, "north", "south")
            frame["tier"] = np.where(region ^ frame["y"].to_numpy(), "gold", "basic")


@pytest.mark.parametrize("relation", ["difference", "text combination"])
def test_a_pair_that_is_the_target_together_is_target_leakage(relation: str) -> None:
    train, test = _clean()
    _leaky_pair(train, test, relation)
    found = _found("target_leakage", train, test)
    assert [f.severity for f in found] == ["error"], [f.title for f in found]
    a, b = ("due", "paid") if relation == "difference" else ("region", "tier")
    assert (
        f"{a!r} and {b!r} together" in found[0].title
        or f"{b!r} and {a!r} together" in found[0].title
    )
    assert "neither does alone" in found[0].title
    assert found[0].score is not None and found[0].score.low >= 0.95


def test_a_pair_is_not_reported_when_one_column_alone_gives_the_target_away() -> None:
    train, test = _clean()
    for frame in (train, test):
        frame["refund_issued"] = frame["y"]
        frame["other"] = frame["x2"] * 2
    found = _found("target_leakage", train, test)
    assert len(found) == 1 and "'refund_issued' alone" in found[0].title


def test_strong_but_honest_features_are_not_a_leaking_pair() -> None:
    """breast_cancer's best pairs reach ROC AUC 0.98 from real signal: no error for them."""
    ds = load_dataset("sklearn:breast_cancer")
    split = split_dataset(ds, seed=0)
    train, test = ds.frame.iloc[split.train], ds.frame.iloc[split.test]
    found = audit(train, test, "target", checks=["target_leakage"]).findings
    assert not [f for f in found if f.severity == "error"], [f.title for f in found]


def test_identical_features_with_different_labels_are_label_conflicts() -> None:
    train, test = _clean()
    test.iloc[:10] = train.iloc[:10].to_numpy()
    test.iloc[:10, test.columns.get_loc("y")] = 1 - train["y"].iloc[:10].to_numpy()
    found = _found("label_conflicts", train, test)
    assert found and found[0].count == 20


def test_constant_and_id_columns_are_hygiene_warnings() -> None:
    train, test = _clean()
    for frame in (train, test):
        frame["const"] = 7
        frame["row_id"] = [f"r{i}" for i in frame.index]
    titles = [f.title for f in _found("hygiene", train, test)]
    assert any("'const' is constant" in t for t in titles)
    assert any("'row_id' is unique per row" in t for t in titles)


def test_report_verdict_and_fail_on() -> None:
    train, test = _clean()
    test.iloc[:50] = train.iloc[:50].to_numpy()
    report = audit(train, test, "y")
    assert report.verdict == "error" and report.fails("error") and report.fails("warning")
    clean = audit(*_clean(), "y", checks=["exact_duplicates"])
    assert clean.verdict == "clean" and not clean.fails("warning")
    assert report.to_dict()["findings"][0]["severity"] == "error"


def test_checks_are_a_registry() -> None:
    assert {
        "exact_duplicates",
        "group_leakage",
        "temporal_leakage",
        "target_leakage",
        "label_conflicts",
        "hygiene",
    } <= set(CHECKS)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda tr, te: (tr, te.iloc[:0]), "no rows"),
        (lambda tr, te: (tr, te.drop(columns="x2")), "different columns"),
        (lambda tr, te: (tr, te.assign(x1="text")), "is float64 in train"),
        (lambda tr, te: (tr.assign(y=np.nan), te), "missing values"),
    ],
)
def test_bad_splits_are_data_errors(mutate, message) -> None:  # type: ignore[no-untyped-def]
    train, test = mutate(*_clean())
    with pytest.raises(DataError, match=message):
        audit(train, test, "y")


def test_whole_number_measures_are_not_taken_for_entity_ids() -> None:
    """An integer measure with a few thousand values is not an id unless its name says so."""
    rng = np.random.default_rng(6)
    train, test = _clean(4000)
    for frame in (train, test):
        frame["minutes_active"] = rng.integers(0, 150, len(frame))
        frame["userId"] = rng.integers(0, 150, len(frame))
    found = [f.title for f in _found("group_leakage", train, test)]
    assert len(found) == 1 and "'userId'" in found[0]
