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


def test_the_mlp_stops_early_only_when_a_tenth_of_its_rows_is_enough_to_judge_by() -> None:
    from candor.ladder._rungs import MLP_EARLY_STOP_ROWS, RUNGS, Context

    ctx = Context("binary", ["a", "b"], [], 100_000, 2)
    mlp = RUNGS["mlp"]
    assert mlp.model_for(ctx, MLP_EARLY_STOP_ROWS - 1)[-1].early_stopping is False
    assert mlp.model_for(ctx, MLP_EARLY_STOP_ROWS)[-1].early_stopping is True
    # on 455 rows of breast_cancer, early stopping judged on 45 of them: the ladder's MLP now fits
    # without it, as well as the linear model does (with it: about 0.95 against 0.97)
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    result = candor.ladder(X, y, rungs=["linear", "mlp"], metric="accuracy")
    assert result.rung("mlp").model[-1].early_stopping is False
    assert result.rung("mlp").scores["accuracy"].value >= 0.96
