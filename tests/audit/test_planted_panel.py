"""The planted-leak panel: every leak type, several strengths and data sets; recall and false alarms.

The counts are printed at the end of the test run (see ``pytest_terminal_summary`` in conftest.py),
collected through each test's ``record_property`` so that they survive pytest-xdist's workers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from candor.audit import audit
from candor.data import load_dataset, split_dataset

Split = tuple[pd.DataFrame, pd.DataFrame]


def _bundled(name: str) -> Callable[[], Split]:
    def make() -> Split:
        ds = load_dataset(name)
        s = split_dataset(ds, seed=0)
        return ds.frame.iloc[s.train].copy(), ds.frame.iloc[s.test].copy()

    return make


def _mixed() -> Split:
    rng = np.random.default_rng(3)
    n = 1200
    frame = pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, n),
            "visits": rng.poisson(4, n),
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "score": rng.normal(size=n),
        }
    )
    frame["target"] = (frame["score"] + rng.normal(scale=1.2, size=n) > 0).astype(int)
    return frame.iloc[:900].copy(), frame.iloc[900:].copy()


DATASETS = {
    "mixed": _mixed,
    "breast_cancer": _bundled("sklearn:breast_cancer"),
    "digits": _bundled("sklearn:digits"),
}


def _copies(
    share: float, near: bool, scale: float = 1.0
) -> Callable[[pd.DataFrame, pd.DataFrame], tuple[Split, str]]:
    def plant(train: pd.DataFrame, test: pd.DataFrame) -> tuple[Split, str]:
        k = max(3, int(np.ceil(len(test) * share)))
        copies = train.iloc[:k].copy()
        if scale != 1.0:  # every number in the row in other units
            numeric = [
                c
                for c in copies.columns
                if c != "target" and pd.api.types.is_numeric_dtype(copies[c])
            ]
            copies[numeric] = copies[numeric].astype(float) * scale
            test = test.astype(dict.fromkeys(numeric, float))
        elif near:
            feats = [c for c in copies.columns if c != "target"]
            numeric = [c for c in feats if pd.api.types.is_numeric_dtype(copies[c])]
            col = max(numeric, key=lambda c: float(train[c].std()))
            # a tiny jitter in one cell (0.01% of the column's spread): a different file, same row
            copies[col] = copies[col] + 1e-4 * float(train[col].std())
        test = test.copy()
        test.iloc[:k] = copies.to_numpy()
        return (train, test), "near_duplicates" if near else "exact_duplicates"

    return plant


def _proxy(noise: float) -> Callable[[pd.DataFrame, pd.DataFrame], tuple[Split, str]]:
    def plant(train: pd.DataFrame, test: pd.DataFrame) -> tuple[Split, str]:
        rng = np.random.default_rng(0)
        out = []
        for frame in (train, test):
            codes = pd.Categorical(frame["target"]).codes
            flip = rng.random(len(frame)) < noise
            out.append(
                frame.assign(proxy=np.where(flip, (codes + 1) % codes.max(initial=1), codes))
            )
        return (out[0], out[1]), "target_leakage"

    return plant


def _group(share: float) -> Callable[[pd.DataFrame, pd.DataFrame], tuple[Split, str]]:
    def plant(train: pd.DataFrame, test: pd.DataFrame) -> tuple[Split, str]:
        train = train.assign(customer=np.arange(len(train)) % 40)
        shared = int(40 * share)
        test = test.assign(customer=40 - shared + np.arange(len(test)) % 40)
        return (train, test), "group_leakage"

    return plant


def _time(share: float) -> Callable[[pd.DataFrame, pd.DataFrame], tuple[Split, str]]:
    def plant(train: pd.DataFrame, test: pd.DataFrame) -> tuple[Split, str]:
        train = train.assign(day=np.arange(len(train)))
        start = int(len(train) * (1 - share))
        test = test.assign(day=start + np.arange(len(test)))
        return (train, test), "temporal_leakage"

    return plant


def _pair(relation: str) -> Callable[[pd.DataFrame, pd.DataFrame], tuple[Split, str]]:
    """Two new columns that together give the target away, while neither does alone."""

    def plant(train: pd.DataFrame, test: pd.DataFrame) -> tuple[Split, str]:
        rng = np.random.default_rng(1)
        levels = pd.Categorical(pd.concat([train["target"], test["target"]])).categories
        out = []
        for frame in (train, test):
            code = pd.Categorical(frame["target"], categories=levels).codes
            if relation == "difference":  # a balance: amount due minus amount paid
                paid = rng.normal(scale=3, size=len(frame))
                out.append(frame.assign(paid=paid, due=paid + code))
            elif relation == "ratio":  # a rate: the total is the base times the outcome's factor
                base = rng.lognormal(3, 1, len(frame))
                out.append(frame.assign(base=base, total=base * (code + 1.5)))
            else:  # two text columns whose combination (not either alone) is the label
                shift = rng.integers(0, len(levels), len(frame))
                out.append(
                    frame.assign(
                        region=[f"r{v}" for v in shift],
                        tier=[f"t{v}" for v in (shift + code) % len(levels)],
                    )
                )
        return (out[0], out[1]), "target_leakage"

    return plant


LEAKS = {
    "exact copies 1%": _copies(0.01, near=False),
    "exact copies 10%": _copies(0.10, near=False),
    "near copies 1%": _copies(0.01, near=True),
    "near copies 10%": _copies(0.10, near=True),
    "near copies 1%, whole row x1000": _copies(0.01, near=True, scale=1000.0),
    "target proxy, 0% noise": _proxy(0.0),
    "target proxy, 0.5% noise": _proxy(0.005),
    "pair: difference": _pair("difference"),
    "pair: ratio": _pair("ratio"),
    "pair: text combination": _pair("text"),
    "shared groups 10%": _group(0.1),
    "shared groups 50%": _group(0.5),
    "test before train 5%": _time(0.05),
}


@pytest.mark.parametrize("data", list(DATASETS))
@pytest.mark.parametrize("leak", list(LEAKS))
def test_every_planted_leak_is_found_as_an_error(data: str, leak: str, record_property) -> None:  # type: ignore[no-untyped-def]
    (train, test), check = LEAKS[leak](*DATASETS[data]())
    group = "customer" if "customer" in train else None
    time = "day" if "day" in train else None
    # the checks are independent (each reads the same input and nothing the others found), so the
    # planted leak's check alone finds what it finds in a full audit; the clean data sets below
    # run every check, for the false alarms
    report = audit(train, test, "target", group=group, time=time, checks=[check])
    found = any(f.check == check and f.severity == "error" for f in report.findings)
    record_property("audit_panel", [(check, "planted", int(found))])
    assert found, [f.text for f in report.findings]


@pytest.mark.parametrize("data", list(DATASETS))
def test_clean_versions_raise_no_error(data: str, record_property) -> None:  # type: ignore[no-untyped-def]
    train, test = DATASETS[data]()
    report = audit(train, test, "target")
    errors = {f.check for f in report.findings if f.severity == "error"}
    record_property("audit_panel", [(c, "clean", int(c in errors)) for c in report.checks_run])
    assert errors == set(), [f.text for f in report.findings]
