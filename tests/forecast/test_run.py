"""``forecast`` and ``backtest`` on real data sets: figures with intervals, words that say them,
plain data for JSON, and clear refusals of input they cannot use."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits

from candor.errors import DataError
from candor.forecast import BacktestResult, ForecastResult, backtest, forecast
from candor.ladder._rungs import RUNGS, Context, rung


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.Series]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return X, y


@pytest.fixture(scope="module")
def result(cancer: tuple[pd.DataFrame, pd.Series]) -> ForecastResult:
    X, y = cancer
    return forecast(X, y, rung="linear", scales=[10, 2], target_score=0.99, seed=0)


# ---- a forecast --------------------------------------------------------------------------------


def test_forecast_at_full_data_is_a_score_with_an_interval_within_the_metrics_range(
    result: ForecastResult,
) -> None:
    score = result.at_full.score
    assert 0.0 <= score.low <= score.value <= score.high <= 1.0
    assert score.level == 0.9
    assert result.at_full.factor == 1.0
    assert result.at_full.rows == result.n_rows == 569
    assert result.task == "binary" and result.metric == "roc_auc"


def test_forecast_scales_come_in_order_of_factor(result: ForecastResult) -> None:
    assert [s.factor for s in result.at_scales] == [2.0, 10.0]
    assert [s.rows for s in result.at_scales] == [1138, 5690]
    for s in result.at_scales:
        assert 0.0 <= s.score.low <= s.score.value <= s.score.high <= 1.0


def test_forecast_fit_time_is_positive_and_grows_with_data(result: ForecastResult) -> None:
    full = result.at_full.fit_seconds
    assert full is not None
    assert 0 < full.low <= full.value <= full.high
    far = result.at_scales[-1].fit_seconds
    assert far is not None and far.value >= full.value


def test_forecast_anchors_are_nested_sizes_below_the_training_rows(result: ForecastResult) -> None:
    sizes = [int(s) for s in result.anchors.sizes]
    assert sizes == sorted(sizes) and len(sizes) >= 3
    assert sizes[-1] < result.n_rows
    assert result.anchors.scores.shape[1] == len(sizes)


def test_forecast_sentence_states_the_rows_and_the_scaled_data(result: ForecastResult) -> None:
    assert "569 rows" in result.sentence
    assert "x the data" in result.sentence
    assert "5,690 rows" in result.sentence
    assert "0.99" in result.sentence  # the target score asked about


def test_forecast_plateau_and_rows_needed_are_consistent(result: ForecastResult) -> None:
    p = result.plateau
    assert p.low <= p.value <= p.high <= 1.0
    rn = result.rows_needed
    assert rn is not None and rn.target == 0.99
    if rn.reachable:
        assert rn.estimate is not None and rn.estimate.low <= rn.estimate.value
    else:
        assert rn.reason


def test_forecast_to_dict_is_plain_data_with_the_anchors(result: ForecastResult) -> None:
    d = result.to_dict()
    text = json.dumps(d, default=str)
    back = json.loads(text)
    assert [a["rows"] for a in back["anchors"]] == [int(s) for s in result.anchors.sizes]
    assert back["rung"] == "linear"
    assert back["at_full"]["score"]["value"] == pytest.approx(result.at_full.score.value)
    assert [s["factor"] for s in back["at_scales"]] == [2.0, 10.0]
    assert set(back["families"]) == set(result.curve.fits)
    for a, k in zip(back["anchors"], range(len(result.anchors.sizes)), strict=True):
        m = a["mean_score"]  # the anchor means the sentence quotes, with their t intervals
        scores = [v for v in a["scores"] if v is not None]
        assert m["value"] == pytest.approx(np.mean(scores)) and m["n"] == len(scores), k
        assert m["low"] <= m["value"] <= m["high"] and m["level"] == result.curve.level
    for name, fam in back["families"].items():  # no bare numbers: each figure has its n and method
        assert fam["plateau"]["low"] <= fam["plateau"]["value"] <= fam["plateau"]["high"], name
        assert fam["plateau"]["method"] and fam["plateau"]["n"] > 0
        held_out = fam["holdout_rmse"]
        assert held_out["value"] >= 0 and held_out["n"] == len(held_out["rows"]) > 0
        assert set(held_out["rows"]) <= {a["rows"] for a in back["anchors"]}


def test_forecast_is_reproducible_with_the_same_seed(
    cancer: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = cancer
    a = forecast(X, y, rung="naive_bayes", scales=[2], repeats=1, seed=3)
    b = forecast(X, y, rung="naive_bayes", scales=[2], repeats=1, seed=3)
    np.testing.assert_array_equal(a.anchors.scores, b.anchors.scores)
    assert a.at_scales[0].score.value == b.at_scales[0].score.value


# ---- bad input ---------------------------------------------------------------------------------


def test_an_unknown_rung_is_refused_with_the_known_ones(
    cancer: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = cancer
    with pytest.raises(DataError, match="unknown rung") as err:
        forecast(X, y, rung="no_such_rung")
    assert "linear" in str(err.value)


def test_a_rung_that_does_not_apply_to_the_task_is_refused() -> None:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    with pytest.raises(DataError, match="does not apply") as err:
        forecast(X, y, rung="naive_bayes")
    assert "naive_bayes" in str(err.value) and "regression" in str(err.value)


def test_too_few_rows_for_three_anchors_are_refused(
    cancer: tuple[pd.DataFrame, pd.Series], result: ForecastResult
) -> None:
    X, y = cancer
    rows = np.concatenate([np.flatnonzero(y == 0)[:20], np.flatnonzero(y == 1)[:20]])
    with pytest.raises(DataError, match="needs 3") as err:
        forecast(X.iloc[rows], y.iloc[rows], rung="linear")
    assert "Use more data" in str(err.value) and "each cross-validation fold trains on" in str(
        err.value
    )
    # it says how many rows would do, and that many do
    needed = int(str(err.value).split("about ")[1].split(" training rows")[0].replace(",", ""))
    more = np.concatenate([np.flatnonzero(y == c)[: (needed + 1) // 2] for c in (0, 1)])
    fc = forecast(X.iloc[more], y.iloc[more], rung="linear", fractions=[0.5, 0.75, 1])
    assert len(fc.curve.anchors.sizes) == 3
    # its folds score each fit on about 10 rows: the forecast says so
    assert any("held-out rows" in w and "too narrow" in w for w in fc.warnings)
    assert not any("held-out rows" in w for w in result.warnings)  # 114 held-out rows a fold


def test_a_target_score_above_the_metrics_best_is_refused(
    cancer: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = cancer
    with pytest.raises(DataError, match="best possible value") as err:
        forecast(X, y, rung="linear", target_score=1.2)
    assert "no amount of data" in str(err.value)


@pytest.mark.parametrize("scales", [[0, 2], [-1.0], [2, -10], [1e9]])
def test_non_positive_or_absurd_scales_are_refused(
    cancer: tuple[pd.DataFrame, pd.Series], scales: list[float]
) -> None:
    X, y = cancer
    with pytest.raises(DataError, match="scales must be multiples of the data between 0 and"):
        forecast(X, y, rung="linear", scales=scales)


@pytest.mark.parametrize("fractions", [[0, 0.25, 0.5], [0.25, 0.5, 1.5]])
def test_fractions_outside_zero_to_one_are_refused(
    cancer: tuple[pd.DataFrame, pd.Series], fractions: list[float]
) -> None:
    X, y = cancer
    with pytest.raises(DataError, match="fractions"):
        forecast(X, y, rung="linear", fractions=fractions)


# ---- a rung that fails on small subsets ----------------------------------------------------------


class _NeedsRows:
    """Logistic regression that refuses to fit on fewer than ``min_rows`` rows."""

    def __init__(self, min_rows: int) -> None:
        self.min_rows = min_rows

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> _NeedsRows:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if len(X) < self.min_rows:
            raise ValueError(f"too few rows to fit: {len(X)} < {self.min_rows}")
        self.model_ = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        self.model_.fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model_.predict(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.model_.predict_proba(X))


@pytest.fixture
def picky_rung() -> Iterator[Callable[[int], str]]:
    """Register rungs that fail below a number of rows; remove them afterwards."""
    added: list[str] = []

    def make(min_rows: int) -> str:
        name = f"_test_needs_{min_rows}_rows"

        @rung(name, "picky logistic regression", "linear")
        def _build(ctx: Context) -> Any:
            return _NeedsRows(min_rows)

        added.append(name)
        return name

    yield make
    for name in added:
        RUNGS.pop(name, None)


def test_a_rung_failing_on_small_anchors_is_forecast_from_the_larger_ones(
    cancer: tuple[pd.DataFrame, pd.Series], picky_rung: Callable[[int], str]
) -> None:
    X, y = cancer
    name = picky_rung(100)
    res = forecast(X, y, rung=name, scales=[2], repeats=1)
    failed = ~np.isfinite(res.anchors.scores).any(axis=0)
    assert (res.anchors.sizes[failed] < 100).all() and failed.any()
    assert (np.isfinite(res.anchors.scores[:, res.anchors.sizes >= 100])).all()
    assert len(res.curve.anchors.sizes) >= 3
    assert res.curve.anchors.sizes.min() >= 100
    assert any("fits that failed" in w and "too few rows" in w for w in res.warnings), res.warnings
    assert 0 <= res.at_full.score.low <= res.at_full.score.value <= res.at_full.score.high <= 1


def test_a_rung_failing_on_all_but_two_anchors_is_refused_naming_the_failure(
    cancer: tuple[pd.DataFrame, pd.Series], picky_rung: Callable[[int], str]
) -> None:
    X, y = cancer
    name = picky_rung(200)
    with pytest.raises(DataError, match="needs 3") as err:
        forecast(X, y, rung=name, scales=[2], repeats=1)
    message = str(err.value)
    assert "too few rows to fit" in message
    assert "another rung" in message


def test_the_temporary_rungs_are_gone_after_their_tests() -> None:
    assert not [k for k in RUNGS if k.startswith("_test_needs_")]


# ---- backtest ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits_backtest() -> BacktestResult:
    X, y = load_digits(return_X_y=True, as_frame=True)
    return backtest(X, y, rung="naive_bayes", repeats=1)


def test_backtest_forecasts_sizes_beyond_the_rows_it_used(digits_backtest: BacktestResult) -> None:
    bt = digits_backtest
    assert bt.points
    assert all(p.rows > bt.used_rows for p in bt.points)
    assert [p.rows for p in bt.points] == sorted(p.rows for p in bt.points)
    assert bt.curve.anchors.sizes.max() == bt.used_rows
    for p in bt.points:
        assert p.forecast.low <= p.forecast.value <= p.forecast.high
        assert p.error == pytest.approx(p.forecast.value - p.truth)


def test_backtest_sentence_reports_the_error(digits_backtest: BacktestResult) -> None:
    assert "error" in digits_backtest.sentence
    assert f"{digits_backtest.final.rows:,} rows" in digits_backtest.sentence
    d = json.loads(json.dumps(digits_backtest.to_dict(), default=str))
    assert d["forecast_from_rows"] == digits_backtest.used_rows
    c = d["coverage"]
    assert 0.0 <= c["low"] <= c["value"] <= c["high"] <= 1.0
    assert c["n"] == len(digits_backtest.points)
    # the verdict against quoting the last anchor: "about as close" within the truth's noise
    f = digits_backtest.final
    gap = abs(f.error) - abs(f.last_anchor - f.truth)
    expected = (
        "about as close as"
        if abs(gap) <= f.measured.half_width
        else "better than"
        if gap < 0
        else "worse than"
    )
    assert f"{expected} quoting the last anchor" in digits_backtest.sentence


def test_backtest_with_too_few_rows_is_refused(cancer: tuple[pd.DataFrame, pd.Series]) -> None:
    X, y = cancer
    rows = np.concatenate([np.flatnonzero(y == 0)[:40], np.flatnonzero(y == 1)[:40]])
    with pytest.raises(DataError, match="too few to backtest"):
        backtest(X.iloc[rows], y.iloc[rows], rung="linear")


def test_a_target_below_the_metrics_worst_value_is_refused(
    cancer: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = cancer
    with pytest.raises(DataError, match="worst possible value"):
        forecast(X, y, rung="linear", target_score=-1.0)


# ---- anchors where the model had not started learning --------------------------------------------


def _run(scores: list[list[float]], constant: list[list[bool]] | None) -> Any:
    from candor.forecast._run import AnchorRun

    S = np.array(scores, dtype=float)
    return AnchorRun(
        np.array([20, 28, 40, 57]),
        S,
        np.ones_like(S),
        np.ones_like(S),
        [],
        None if constant is None else np.array(constant, dtype=bool),
    )


def test_warm_up_leaves_out_anchors_where_every_fit_predicted_one_value() -> None:
    from candor.forecast._run import _warm_up

    # a constant model scores each fold's majority share: the scores differ, the fits do not
    scores = [[0.63, 0.63, 0.90, 0.93], [0.62, 0.62, 0.91, 0.92]]
    keep, notes = _warm_up(_run(scores, [[True, True, False, False]] * 2))
    assert keep.tolist() == [False, False, True, True]
    assert notes == [
        "at 20 and 28 rows all 2 fits at each size predicted one value for every test row, "
        "scoring 0.625: the model had not started learning (a booster, say, whose leaves need more rows "
        "than it had), so those anchors are left out of the curve"
    ]
    # one fit that did learn keeps the anchor, and so every anchor after it
    keep, _ = _warm_up(_run(scores, [[True, True, False, False], [True, False, False, False]]))
    assert keep.tolist() == [False, True, True, True]
    # without the record, scores that differ are taken as learning
    assert _warm_up(_run(scores, None))[0].all()
    # a constant model that no later anchor beats is the model, not a warm-up
    flat = [[0.63, 0.63, 0.63, 0.63], [0.62, 0.62, 0.62, 0.62]]
    assert _warm_up(_run(flat, [[True] * 4] * 2))[0].all()


def test_a_booster_that_cannot_split_yet_is_left_out_of_an_accuracy_curve(
    cancer: tuple[pd.DataFrame, pd.Series],
) -> None:
    X, y = cancer
    # hist_gb needs 2 x 20 rows for its first split: on the smallest anchors it predicts the
    # majority class, scoring that class's share of each fold, which differs from fold to fold
    r = forecast(X, y, rung="hist_gb", metric="accuracy", scales=[2])
    assert r.anchors.constant is not None
    flat = r.anchors.constant.all(axis=0)
    assert flat[0] and not flat[-1]
    assert len(r.curve.anchors.sizes) == len(r.anchors.sizes) - int(np.argmin(flat))
    assert any("predicted one value for every test row" in w for w in r.warnings)
    assert r.to_dict()["anchors"][0]["constant_fits"] == r.anchors.scores.shape[0]


def test_fit_time_that_barely_grows_is_said_to_be_overhead() -> None:
    from candor.forecast._run import _flat_time_note

    sizes = np.array([25.0, 50, 100, 200])
    flat = np.array([[0.0081, 0.0080, 0.0083, 0.0085], [0.0079, 0.0082, 0.0080, 0.0086]])
    note = _flat_time_note(sizes, flat)
    assert note.startswith("fit time barely grew over the anchors")
    assert "25 rows" in note and "200" in note
    # time that grows with the rows, or anchors too close together to tell, get no note
    assert _flat_time_note(sizes, flat * sizes / 25) == ""
    assert _flat_time_note(np.array([100.0, 141, 200]), flat[:, :3]) == ""
    assert _flat_time_note(sizes, np.full((2, 4), np.nan)) == ""


def test_a_forecast_past_where_the_rung_starts_to_stop_early_says_so(
    cancer: tuple[pd.DataFrame, pd.Series],
) -> None:
    from candor.forecast._run import _regime_note, _set_up

    X, y = cancer
    threshold = 10_001  # scikit-learn's HistGradientBoosting stops early above 10,000 rows
    setup = _set_up(X, y, "hist_gb", None, None, None, None, 0)
    note = _regime_note(setup, threshold // 4, 4 * threshold)
    assert note.startswith(f"from {threshold:,} training rows the ")
    assert f"up to {threshold // 4:,} rows" in note and "fit time is likely below" in note
    # forecasts that stay on one side of the change, or a rung that never stops early, get none
    assert _regime_note(setup, threshold // 4, threshold - 1) == ""
    assert _regime_note(setup, threshold, 4 * threshold) == ""
    linear = _set_up(X, y, "linear", None, None, None, None, 0)
    assert _regime_note(linear, 100, 100_000) == ""


def test_an_rmse_target_out_of_reach_says_from_how_many_rows_the_optimistic_bound_reaches_it() -> (
    None
):
    # a linear model's RMSE on diabetes levels off near 37, short of 20; below the smallest anchor its curve is
    # extrapolated backwards, where the interval reaches anything, so the rows said must lie at or
    # past the smallest anchor, and the optimistic bound must reach the target there and not before
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    r = forecast(X.iloc[:353], y.iloc[:353], rung="linear", metric="rmse", target_score=20.0)
    needed = r.rows_needed
    assert needed is not None and not needed.reachable
    assert "out of reach" in needed.reason
    if "from about" in needed.reason:
        rows = float(needed.reason.split("from about ")[1].split(" rows")[0].replace(",", ""))
        assert rows >= r.curve.anchors.sizes[0]
        _, low, _ = r.curve.predict([rows * 1.01])
        assert low[0] <= 20.0
        _, low, _ = r.curve.predict([rows / 1.05])
        assert low[0] > 20.0
    else:
        assert "already at the smallest anchor" in needed.reason


def test_fit_times_that_differ_widely_between_repeats_are_said_to_be_noisy() -> None:
    from candor.forecast._run import _noisy_time_note

    steady = np.array([[0.010, 0.020, 0.040, 0.080], [0.011, 0.021, 0.042, 0.079]])
    assert _noisy_time_note(steady) == ""
    busy = steady.copy()
    busy[1] *= [12, 9, 15, 1.2]  # a second process took the CPU during the second pass
    note = _noisy_time_note(busy)
    assert note.startswith("fit time varied between repeats: fits at the same size took up to 16x")
    assert _noisy_time_note(np.full((2, 4), np.nan)) == ""


def test_the_python_api_shows_its_parameters_and_a_short_result(result: ForecastResult) -> None:
    import inspect

    import candor

    params = inspect.signature(candor.forecast).parameters
    assert {"rung", "scales", "target_score", "level"} <= set(params)
    assert "ladder" in inspect.signature(candor.ladder).return_annotation.lower()
    assert "How good will ``rung`` get" in (type(candor.forecast).__doc__ or "")  # help()
    text = repr(result)
    assert len(text) < 400 and text.startswith("ForecastResult(rung='linear', metric='roc_auc'")
    assert result.at_full.score.format() in text
