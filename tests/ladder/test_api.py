"""The Python face of the ladder: ``candor.ladder(X, y)``, and boosters in their native formats."""

from __future__ import annotations

import lightgbm
import xgboost
from sklearn.datasets import load_breast_cancer

import candor
from candor.ladder._measure import native_files


def test_candor_ladder_is_callable_and_keeps_its_registry() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    result = candor.ladder(X, y, rungs=["dummy", "linear", "lightgbm", "xgboost"])
    assert result.recommended in {"linear", "lightgbm", "xgboost"}
    assert "linear" in candor.ladder.RUNGS
    # every finished rung has its latency measured, finalists on all rows
    for r in result.rungs:
        assert r.latency is not None and r.latency.single_p50_ms.value > 0, r.name
    assert result.rung(result.recommended).model_rows == f"all {len(X):,} training rows"
    # the boosters also come out in their own library's format, readable by that library
    lgb_files = native_files(result.rung("lightgbm").model)
    booster = lightgbm.Booster(model_str=lgb_files["model/lightgbm_booster.txt"].decode())
    assert booster.num_trees() > 0
    xgb_files = native_files(result.rung("xgboost").model)
    native = xgboost.Booster()
    native.load_model(bytearray(xgb_files["model/xgboost_booster.json"]))
    assert native.num_boosted_rounds() > 0
    assert native_files(result.rung("linear").model) == {}


def test_an_mlp_at_its_epoch_limit_is_not_warned_about_on_every_fold() -> None:
    import warnings

    import numpy as np
    import pandas as pd
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(200, 5)), columns=list("abcde"))
    y = X["a"] + rng.normal(size=200)
    with warnings.catch_warnings(record=True) as seen:  # the warning candor keeps quiet
        warnings.simplefilter("always")
        MLPRegressor(hidden_layer_sizes=(128, 64), max_iter=300, random_state=0).fit(X, y)
    assert any(issubclass(w.category, ConvergenceWarning) for w in seen)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        candor.ladder(X, y, rungs=["mlp"], task="regression")
    assert not [w for w in seen if issubclass(w.category, ConvergenceWarning)]
