"""Measuring a saved model in fresh processes: every figure with its interval and n, and files that
are not models (or name code outside scikit-learn and its kin) refused before anything loads them."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression

from candor.errors import DataError
from candor.ladder._measure import native_files
from candor.sizing import detect_format, measure
from candor.sizing._measure import P99_CALLS


class Stranger(ClassifierMixin, BaseEstimator):
    """A class skops would have to import from this test module: not one candor trusts."""

    def fit(self, X, y):  # type: ignore[no-untyped-def]
        self.classes_ = sorted(set(y))
        return self


def _data() -> tuple[pd.DataFrame, pd.Series]:
    return load_breast_cancer(return_X_y=True, as_frame=True)


@pytest.mark.slow
def test_every_measured_figure_has_its_interval_and_n(tmp_path: Path) -> None:
    X, y = _data()
    path = tmp_path / "model.skops"
    path.write_bytes(sio.dumps(LogisticRegression(max_iter=3000).fit(X, y)))
    m = measure(path, X, batch=2_000, repeats=2, max_seconds=0.2)
    assert m.format == "skops" and m.file_bytes == path.stat().st_size and m.repeats == 2
    for e in (m.load_seconds, m.live_bytes, m.batch_peak_bytes, m.process_bytes):
        assert e.n == 2 and e.low <= e.value <= e.high and e.value > 0, e
    # the operating system counts whole pages: a model this small can add none of them
    e = m.resident_bytes
    assert e.n == 2 and 0 <= e.low <= e.value <= e.high, e
    # enough single-row calls for the p99's interval to be bounded on both sides
    assert m.calls >= P99_CALLS and math.isfinite(m.single_p99_ms.high)
    assert m.single_p50_ms.value <= m.single_p99_ms.value
    assert m.rows_per_second_per_core.low <= m.rows_per_second_per_core.value
    # the batch itself counts: 2,000 rows of 30 float64 columns
    assert m.batch_peak_bytes.value >= 2_000 * 30 * 8
    assert m.peak_bytes.value == pytest.approx(m.live_bytes.value + m.batch_peak_bytes.value)
    assert m.worker_bytes.value > m.process_bytes.value


@pytest.mark.slow
def test_native_booster_files_are_measured_too(tmp_path: Path) -> None:
    import lightgbm as lgb

    X, y = _data()
    model = lgb.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
    text = native_files(model)["model/lightgbm_booster.txt"]
    path = tmp_path / "booster.txt"
    path.write_bytes(text)
    assert detect_format(path) == "lightgbm"
    m = measure(path, X, batch=500, repeats=2, max_seconds=0.1)
    assert m.format == "lightgbm" and m.live_bytes.value > 0


def test_files_that_are_not_models_are_refused_with_what_to_give(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a model")
    with pytest.raises(DataError, match="not a model file candor can read"):
        detect_format(notes)
    with pytest.raises(DataError, match="no model file at"):
        detect_format(tmp_path / "missing.skops")
    with pytest.raises(DataError, match="is a folder"):
        detect_format(tmp_path)
    bad_zip = tmp_path / "broken.skops"
    bad_zip.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataError):
        detect_format(bad_zip)


def test_a_skops_file_naming_foreign_code_is_not_loaded(tmp_path: Path) -> None:
    X, y = _data()
    path = tmp_path / "stranger.skops"
    path.write_bytes(sio.dumps(Stranger().fit(X, y)))
    with pytest.raises(DataError, match=r"types outside scikit-learn.*Stranger"):
        measure(path, X, repeats=2)


def test_measuring_needs_rows_and_repeats(tmp_path: Path) -> None:
    X, y = _data()
    path = tmp_path / "model.skops"
    path.write_bytes(sio.dumps(LogisticRegression(max_iter=3000).fit(X, y)))
    with pytest.raises(DataError, match="at least 2"):
        measure(path, X, repeats=1)
    with pytest.raises(DataError, match="no rows"):
        measure(path, X.iloc[:0], repeats=2)
    with pytest.raises(DataError, match="positive number of rows"):
        measure(path, X, batch=0, repeats=2)
