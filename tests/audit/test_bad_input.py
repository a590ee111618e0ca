"""Awkward but legal columns get audited; broken input gets a DataError, never a traceback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from candor.audit import audit
from candor.auditing import audit_files
from candor.errors import DataError


def _base(n: int = 400) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=n), "y": rng.integers(0, 2, n)})


def test_mixed_type_all_nan_and_huge_cardinality_columns_are_audited() -> None:
    frame = _base()
    frame["mixed"] = [1, "a", 2.5, None] * (len(frame) // 4)  # object column of mixed types
    frame["empty"] = np.nan
    frame["uuid"] = [f"id-{i:08d}" for i in range(len(frame))]  # one category per row
    train, test = frame.iloc[:300], frame.iloc[300:]
    report = audit(train, test, "y")
    titles = " ".join(f.title for f in report.findings)
    assert "'empty' is entirely missing" in titles
    assert "'uuid' is unique per row" in titles
    assert report.verdict in ("warning", "info")


def test_a_column_missing_from_one_split_is_a_data_error() -> None:
    frame = _base()
    with pytest.raises(DataError, match="different columns"):
        audit(frame.iloc[:300], frame.iloc[300:].drop(columns="x"), "y")


def test_unreadable_and_missing_files_are_data_errors(tmp_path: Path) -> None:
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    _base().to_csv(tmp_path / "train.csv", index=False)
    with pytest.raises(DataError, match="could not read"):
        audit_files(tmp_path / "train.csv", tmp_path / "broken.parquet", "y", track=False)
    with pytest.raises(DataError, match="does not exist"):
        audit_files(tmp_path / "nope.csv", None, "y", track=False)


def test_a_split_column_divides_one_file(tmp_path: Path) -> None:
    frame = _base().assign(split=["train"] * 300 + ["TEST"] * 100)
    frame.to_csv(tmp_path / "all.csv", index=False)
    res = audit_files(tmp_path / "all.csv", None, "y", split_column="split", track=False)
    assert (res.report.n_train, res.report.n_test) == (300, 100)
    frame.assign(split="validation").to_csv(tmp_path / "odd.csv", index=False)
    with pytest.raises(DataError, match="must hold 'train' or 'test'"):
        audit_files(tmp_path / "odd.csv", None, "y", split_column="split", track=False)
