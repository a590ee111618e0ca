"""Bad input is refused with a clear DataError; odd but usable input still climbs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from candor.errors import DataError
from candor.ladder import RUNGS, Context, ladder, rung
from tests.ladder._data import gaussian_features, linear_data


def _binary(n: int = 100) -> tuple[pd.DataFrame, np.ndarray]:
    return linear_data(n=n, k=3)


def test_a_single_class_target_is_refused() -> None:
    X, _ = _binary()
    with pytest.raises(DataError, match="single class"):
        ladder(X, np.full(len(X), "yes"), rungs=["dummy", "linear"])


def test_no_rows_are_refused() -> None:
    X, y = _binary()
    with pytest.raises(DataError, match="no rows"):
        ladder(X.iloc[:0], y[:0], rungs=["dummy"])


def test_no_columns_are_refused() -> None:
    X, y = _binary()
    with pytest.raises(DataError, match="no feature columns"):
        ladder(X[[]], y, rungs=["dummy"])


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_a_missing_target_value_is_refused(kind: str) -> None:
    X, y = _binary()
    target = y.astype(float) if kind == "binary" else np.random.default_rng(0).normal(size=len(X))
    target[7] = np.nan
    with pytest.raises(DataError, match="missing values"):
        ladder(X, target, rungs=["dummy"])


def test_x_and_y_of_different_lengths_are_refused() -> None:
    X, y = _binary()
    with pytest.raises(DataError, match="100 rows but y has 99"):
        ladder(X, y[:-1], rungs=["dummy"])


def test_an_unknown_rung_is_refused_with_the_known_ones() -> None:
    X, y = _binary()
    with pytest.raises(DataError, match=r"unknown rung\(s\) \['gpt'\]") as info:
        ladder(X, y, rungs=["dummy", "gpt"])
    assert "linear" in str(info.value) and "hist_gb" in str(info.value)


def test_only_free_text_is_refused() -> None:
    rng = np.random.default_rng(0)
    words = ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "again", "today"]
    text = [" ".join(rng.choice(words, 12)) + f" (note {i})" for i in range(120)]
    X = pd.DataFrame({"comment": text})
    with pytest.raises(DataError, match="free text") as info:
        ladder(X, rng.integers(0, 2, 120), rungs=["dummy", "linear"])
    assert "comment" in str(info.value)


def test_free_text_next_to_numbers_is_not_refused() -> None:
    X, y = _binary(120)
    X["comment"] = [f"a long free-text comment written about row number {i}" for i in range(120)]
    result = ladder(X, y, rungs=["dummy", "linear"])
    assert all(r.status == "done" for r in result.rungs)


def test_more_columns_than_rows_still_climbs() -> None:
    X = gaussian_features(40, 200, seed=3)
    y = (X["x0"] + X["x1"] > 0).astype(int).to_numpy()
    result = ladder(X, y, rungs=["dummy", "linear", "decision_tree"])
    assert result.n_rows == 40 and result.n_evaluated == 40
    assert [r.status for r in result.rungs] == ["done"] * 3, [r.reason for r in result.rungs]
    for r in result.rungs:
        e = r.scores["roc_auc"]
        assert e.n == 40 and e.low <= e.value <= e.high
    assert result.recommended is not None


class _Explodes:
    """An estimator that cannot be fitted."""

    def fit(self, X: Any, y: Any) -> _Explodes:
        raise RuntimeError("the boom rung always explodes")


@pytest.fixture
def boom_rung() -> Iterator[str]:
    assert "boom" not in RUNGS

    @rung("boom", "an exploding model", "dummy")
    def _boom(ctx: Context) -> Any:
        return _Explodes()

    try:
        yield "boom"
    finally:
        RUNGS.pop("boom", None)


def test_a_crashing_rung_fails_alone(boom_rung: str) -> None:
    X, y = _binary(200)
    result = ladder(X, y, rungs=["dummy", boom_rung, "linear"])
    boom = result.rung(boom_rung)
    assert boom.status == "failed"
    assert "RuntimeError" in boom.reason and "the boom rung always explodes" in boom.reason
    assert not boom.scores and boom.model is None
    assert result.rung("dummy").status == "done" and result.rung("linear").status == "done"
    assert result.recommended == "linear"
    assert boom_rung not in result.comparisons


def test_the_registry_is_left_as_it_was() -> None:
    # the fixture above must not leak its rung into later tests in the same worker
    assert "boom" not in RUNGS
    assert list(RUNGS)[:2] == ["dummy", "linear"]


def test_too_few_groups_is_a_data_error() -> None:
    X, y = _binary(120)
    groups = np.repeat(["a", "b", "c"], 40)
    with pytest.raises(DataError, match="group"):
        ladder(X, y, rungs=["dummy", "linear"], groups=groups)


def test_a_class_rarer_than_the_folds_is_handled() -> None:
    X, y = _binary(200)
    y = y.copy()
    y[0] = 2  # a third class seen once
    try:
        result = ladder(X, y, rungs=["dummy", "linear"])
    except DataError as exc:
        assert "class" in str(exc)
        return
    assert [r.status for r in result.rungs] == ["done", "done"], [r.reason for r in result.rungs]


def test_a_column_with_no_values_is_left_out_rather_than_failing_a_rung() -> None:
    """HistGradientBoosting cannot bin a column with no values; the rungs leave such a column out."""
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    from candor.ladder import ladder

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :5].assign(empty=np.nan, empty_text=pd.Series([None] * len(X), dtype=object))
    result = ladder(X, y, rungs=["hist_gb", "lightgbm", "linear"])
    assert all(r.status == "done" for r in result.rungs), [(r.name, r.reason) for r in result.rungs]


def test_a_rung_whose_module_is_missing_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util
    from dataclasses import replace

    cnn = RUNGS["cnn"]
    assert cnn.needs == "torch" and cnn.missing() == ""  # the tests install candor[nn]
    gone = replace(cnn, needs="no_such_module_candor")
    assert gone.missing() == "needs no_such_module_candor, which is not installed"
    # as on a machine without the nn extra
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    assert cnn.missing() == "needs torch, which is not installed: pip install 'candor[nn]'"
