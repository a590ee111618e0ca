"""Every family stored in its safe format and read back with identical predictions; pickles only
when asked for, on both sides; skops files naming types outside the recorded list refused."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris

from candor.errors import DataError
from candor.ladder import RUNGS
from candor.ladder._climb import _context
from candor.registry._formats import PickleRefused, load_model, save_model


def _data(kind: str) -> tuple[pd.DataFrame, np.ndarray, str, int]:
    if kind == "regression":
        X, y = load_diabetes(return_X_y=True, as_frame=True)
        return X, y.to_numpy(), "regression", 0
    X, y = (load_breast_cancer if kind == "binary" else load_iris)(return_X_y=True, as_frame=True)
    codes = np.unique(y.to_numpy(), return_inverse=True)[1]
    return X, codes, kind, int(codes.max() + 1)


def _roundtrip(model: Any, tmp_path: Path, task: str, k: int, **kw: Any) -> tuple[str, Any]:
    fmt, files, trusted = save_model(model, **kw)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return fmt, load_model(tmp_path, fmt, task=task, n_classes=k, trusted=trusted, **kw)


@pytest.mark.parametrize(
    ("rung", "kind", "fmt"),
    [
        ("linear", "binary", "skops"),
        ("random_forest", "multiclass", "skops"),
        ("hist_gb", "binary", "skops"),
        ("lightgbm", "binary", "skops+lightgbm"),
        ("lightgbm", "multiclass", "skops+lightgbm"),
        ("lightgbm", "regression", "skops+lightgbm"),
        ("xgboost", "binary", "skops+xgboost"),
        ("xgboost", "multiclass", "skops+xgboost"),
        ("xgboost", "regression", "skops+xgboost"),
        ("linear", "regression", "skops"),
    ],
)
def test_a_rung_is_stored_in_its_familys_format_and_predicts_the_same(
    rung: str, kind: str, fmt: str, tmp_path: Path
) -> None:
    X, y, task, k = _data(kind)
    model = RUNGS[rung].build(_context(X, task, k, 0)).fit(X, y)
    got_fmt, pred = _roundtrip(model, tmp_path, task, k)
    assert got_fmt == fmt
    if task == "regression":
        np.testing.assert_array_equal(pred.values(X), model.predict(X))
    else:
        np.testing.assert_array_equal(pred.proba(X), model.predict_proba(X))
    assert not any(tmp_path.glob("*.pkl"))


@pytest.mark.parametrize("family", ["lightgbm", "xgboost"])
def test_a_bare_booster_estimator_is_stored_natively(family: str, tmp_path: Path) -> None:
    X, y, task, k = _data("binary")
    if family == "lightgbm":
        import lightgbm

        model: Any = lightgbm.LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
        name = "model.lgb.txt"
    else:
        import xgboost

        model = xgboost.XGBClassifier(n_estimators=20).fit(X, y)
        name = "model.xgb.json"
    fmt, pred = _roundtrip(model, tmp_path, task, k)
    assert fmt == family and [p.name for p in tmp_path.iterdir()] == [name]
    np.testing.assert_allclose(pred.proba(X), model.predict_proba(X), rtol=0, atol=1e-12)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="needs candor[nn]")
def test_the_cnn_is_stored_as_a_state_dict(tmp_path: Path) -> None:
    from sklearn.datasets import load_digits

    from candor.ladder._cnn import SmallCNN

    X, y = load_digits(return_X_y=True)
    model = SmallCNN(epochs=1).fit(X[:300], y[:300])
    fmt, pred = _roundtrip(model, tmp_path, "multiclass", 10)
    assert fmt == "torch"
    np.testing.assert_array_equal(pred.proba(X[:50]), model.predict_proba(X[:50]))


class Handmade(ClassifierMixin, BaseEstimator):
    """A user's own class: skops would have to trust (and run) it."""

    def fit(self, X: Any, y: Any) -> Handmade:
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.tile([0.25, 0.75], (len(X), 1))


def test_a_model_no_safe_format_holds_needs_allow_pickle_to_save_and_to_load(
    tmp_path: Path,
) -> None:
    X, y, task, k = _data("binary")
    model = Handmade().fit(X, y)
    with pytest.raises(DataError, match="allow_pickle=True"):
        save_model(model)
    fmt, files, trusted = save_model(model, allow_pickle=True)
    assert fmt == "pickle"
    (tmp_path / "model.pkl").write_bytes(files["model.pkl"])
    with pytest.raises(PickleRefused, match="runs whatever code"):
        load_model(tmp_path, fmt, task=task, n_classes=k, trusted=trusted)
    pred = load_model(tmp_path, fmt, task=task, n_classes=k, trusted=trusted, allow_pickle=True)
    assert pred.proba(X.head(2)).tolist() == [[0.25, 0.75]] * 2


def test_a_skops_file_naming_a_type_outside_its_recorded_list_is_refused(tmp_path: Path) -> None:
    X, y, task, k = _data("binary")
    model = RUNGS["linear"].build(_context(X, task, k, 0)).fit(X, y)
    fmt, _, trusted = save_model(model)
    import skops.io as sio

    # the file swapped for one that holds a user's class: loading it would run that class's code
    (tmp_path / "model.skops").write_bytes(sio.dumps(Handmade().fit(X, y)))
    with pytest.raises(DataError, match=r"outside the list recorded.*Handmade"):
        load_model(tmp_path, fmt, task=task, n_classes=k, trusted=trusted)
