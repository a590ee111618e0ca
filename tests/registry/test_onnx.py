"""ONNX export of the ladder's rungs and of registered models, and the check that catches an export
that predicts otherwise."""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

from candor.errors import DataError
from candor.ladder import RUNGS
from candor.ladder._climb import _context
from candor.registry import LoadedModel
from candor.registry._formats import Predictor, save_model
from candor.registry._onnx import (
    EXPORTABLE,
    PROBABILITY_TOLERANCE,
    check_loaded,
    check_onnx,
    export_model,
    onnx_predict,
    to_onnx,
)
from candor.registry._package import Manifest, features_of, plain

Split = tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]


def _split(X: pd.DataFrame, y: pd.Series, seed: int = 0) -> Split:
    order = np.random.default_rng(seed).permutation(len(X))
    train, held_out = order[: int(0.7 * len(X))], order[int(0.7 * len(X)) :]
    return (
        X.iloc[train].reset_index(drop=True),
        X.iloc[held_out].reset_index(drop=True),
        y.iloc[train].reset_index(drop=True),
        y.iloc[held_out].reset_index(drop=True),
    )


def _fit(rung: str, X: pd.DataFrame, y: pd.Series, task: str) -> tuple[Any, int]:
    """A rung built and fitted as ``candor.sizer._fit_rung`` does: classifiers on class codes."""
    n_classes = int(y.nunique()) if task != "regression" else 0
    ctx = _context(X, task, n_classes, 0)
    target: Any = y if task == "regression" else np.unique(np.asarray(y), return_inverse=True)[1]
    return RUNGS[rung].build(ctx).fit(X, target), n_classes


@functools.cache
def _binary() -> Split:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return _split(X, y)


@functools.cache
def _regression() -> Split:
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    # diabetes holds near-copies of values, 1e-17 apart, that float32 cannot tell apart: a
    # booster that splits between them branches the other way in ONNX. That is real (see
    # test_check_fails_when_float32_cannot_tell_a_value_from_a_split); rounded, the data tests
    # the converters themselves
    return _split(X.round(6), y)


@functools.cache
def _multiclass() -> Split:
    X, y = load_wine(return_X_y=True, as_frame=True)
    return _split(X, y)


@functools.cache
def _mixed() -> Split:
    """Numbers with gaps, text with gaps, a text value None (a category of its own), booleans and
    a column with no values at all (which the rungs leave out)."""
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X = X.iloc[:, :6].copy()
    rng = np.random.default_rng(3)
    X.loc[rng.random(len(X)) < 0.1, "mean texture"] = np.nan
    X["colour"] = rng.choice(["red", "green", "blue"], len(X)).astype(object)
    X.loc[rng.random(len(X)) < 0.1, "colour"] = np.nan
    X["size"] = np.array(["s", "m", "l", None], dtype=object)[rng.integers(0, 4, len(X))]
    X["flag"] = rng.random(len(X)) < 0.5
    X["never filled"] = np.nan
    return _split(X, y)


def _assert_export_matches(data: Split, rung: str, task: str) -> None:
    X_train, X_held_out, y_train, _ = data
    model, n_classes = _fit(rung, X_train, y_train, task)
    check = check_onnx(
        to_onnx(model, X_train, task=task, n_classes=n_classes), model, X_held_out, task=task
    )
    assert check.passed, check.sentence
    assert check.n == len(X_held_out)
    if task != "regression":
        assert check.labels_agreeing == check.n, check.sentence


# knn runs with weights="distance", which skl2onnx 1.20 exports as uniform weights unless the
# export undoes its sign slip (probabilities then differ by up to 0.04 here)
@pytest.mark.parametrize("rung", list(EXPORTABLE))
def test_every_exportable_rung_predicts_the_same_in_onnx_on_held_out_rows(rung: str) -> None:
    _assert_export_matches(_binary(), rung, "binary")


@pytest.mark.parametrize(
    "rung",
    [
        "linear",
        "knn",
        "svm_linear",
        "decision_tree",
        "random_forest",
        "hist_gb",
        "lightgbm",
        "xgboost",
    ],
)
def test_regression_rungs_predict_the_same_in_onnx(rung: str) -> None:
    _assert_export_matches(_regression(), rung, "regression")


@pytest.mark.parametrize(
    "rung", ["linear", "knn", "random_forest", "hist_gb", "lightgbm", "xgboost"]
)
def test_multiclass_rungs_predict_the_same_in_onnx(rung: str) -> None:
    _assert_export_matches(_multiclass(), rung, "multiclass")


@pytest.mark.parametrize("rung", ["linear", "decision_tree", "hist_gb", "lightgbm", "xgboost"])
def test_rungs_on_text_and_missing_values_predict_the_same_in_onnx(rung: str) -> None:
    _assert_export_matches(_mixed(), rung, "binary")


def test_numeric_data_takes_one_float_matrix_and_mixed_data_one_input_per_column() -> None:
    X_train, _, y_train, _ = _binary()
    model, _ = _fit("linear", X_train, y_train, "binary")
    inputs = ort.InferenceSession(to_onnx(model, X_train, task="binary")).get_inputs()
    assert [(i.name, i.type, i.shape[1]) for i in inputs] == [("X", "tensor(float)", 30)]

    X_train, _, y_train, _ = _mixed()
    model, _ = _fit("linear", X_train, y_train, "binary")
    session = ort.InferenceSession(to_onnx(model, X_train, task="binary"))
    kinds = {i.name: i.type for i in session.get_inputs()}
    assert len(kinds) == X_train.shape[1]
    assert kinds["colour"] == kinds["size"] == "tensor(string)"
    assert kinds["mean_radius"] == kinds["flag"] == "tensor(float)"  # names become identifiers
    mapping = json.loads(session.get_modelmeta().custom_metadata_map["candor.input_columns"])
    assert mapping["mean_radius"] == "mean radius"
    # probabilities come out as a plain [rows, classes] tensor, not a list of maps
    labels, probabilities = onnx_predict(to_onnx(model, X_train, task="binary"), X_train.head(4))
    assert labels.shape == (4,) and probabilities is not None and probabilities.shape == (4, 2)


def test_onnx_predict_matches_columns_by_name_whatever_their_order() -> None:
    X_train, X_held_out, y_train, _ = _binary()
    model, _ = _fit("xgboost", X_train, y_train, "binary")
    onnx_bytes = to_onnx(model, X_train, task="binary")
    shuffled = X_held_out[X_held_out.columns[::-1]]
    _, in_order = onnx_predict(onnx_bytes, X_held_out)
    _, reversed_order = onnx_predict(onnx_bytes, shuffled)
    assert in_order is not None and reversed_order is not None
    np.testing.assert_array_equal(in_order, reversed_order)
    with pytest.raises(DataError, match="lacks column"):
        onnx_predict(onnx_bytes, X_held_out.drop(columns=["mean radius"]))


@pytest.mark.parametrize(("task", "data"), [("binary", _binary), ("regression", _regression)])
def test_a_family_without_a_converter_raises_a_data_error_naming_it(task: str, data: Any) -> None:
    X_train, _, y_train, _ = data()
    model, n_classes = _fit("dummy", X_train, y_train, task)
    with pytest.raises(DataError) as raised:
        to_onnx(model, X_train, task=task, n_classes=n_classes)
    message = str(raised.value)
    assert message.startswith("Dummy")
    assert "no converter" in message and "LightGBM (lightgbm)" in message
    assert "Traceback" not in message and raised.value.__cause__ is None


def test_a_one_hot_encoder_that_folds_rare_categories_is_refused_with_the_reason() -> None:
    X_train, _, y_train, _ = _binary()
    X = X_train.iloc[:, :3].copy()
    X["city"] = [f"city {i % 40}" for i in range(len(X))]  # > 30 categories: the rarest fold
    model, _ = _fit("linear", X, y_train, "binary")
    with pytest.raises(DataError, match="more than 30 categories"):
        to_onnx(model, X, task="binary")


def test_the_check_fails_for_the_export_of_another_model() -> None:
    X_train, X_held_out, y_train, _ = _binary()
    model, _ = _fit("random_forest", X_train, y_train, "binary")
    other, _ = _fit("linear", X_train, y_train, "binary")
    check = check_onnx(to_onnx(other, X_train, task="binary"), model, X_held_out, task="binary")
    assert not check.passed
    assert check.max_abs_diff > 100 * PROBABILITY_TOLERANCE
    assert "the export fails" in check.sentence and f"n = {check.n}" in check.sentence
    # and an export for another task fails rather than crashing
    X_train, X_held_out, y_train, _ = _regression()
    regressor, _ = _fit("linear", X_train, y_train, "regression")
    classifier, _ = _fit("linear", X_train, (y_train > y_train.median()).astype(int), "binary")
    check = check_onnx(
        to_onnx(regressor, X_train, task="regression"), classifier, X_held_out, task="binary"
    )
    assert not check.passed and "no probabilities" in check.sentence


def test_labels_that_differ_only_on_ties_do_not_fail_the_check() -> None:
    from sklearn.linear_model import LogisticRegression

    X_train, X_held_out, y_train, _ = _binary()
    X_train, X_held_out = X_train.iloc[:, :3], X_held_out.iloc[:, :3]
    coin = LogisticRegression().fit(X_train, y_train)
    coin.coef_[:], coin.intercept_[:] = 0.0, 0.0  # every row at exactly 0.5 / 0.5

    class BreaksTiesUpwards:
        def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
            return np.asarray(coin.predict_proba(X))

        def predict(self, X: pd.DataFrame) -> np.ndarray:
            return np.ones(len(X), dtype=np.int64)

    onnx_bytes = to_onnx(coin, X_train, task="binary")
    check = check_onnx(onnx_bytes, BreaksTiesUpwards(), X_held_out, task="binary")
    assert check.passed and check.labels_agreeing == 0 and check.near_ties == len(X_held_out)
    assert "on a tie float32 cannot break" in check.sentence


def test_check_fails_when_float32_cannot_tell_a_value_from_a_split() -> None:
    from sklearn.ensemble import HistGradientBoostingRegressor

    a = 0.1
    b = float(np.nextafter(a, 1.0))  # the next float64: one float32 for both
    X = pd.DataFrame({"x": np.repeat([a, b, 0.2], 100)})
    y = np.repeat([0.0, 100.0, 50.0], 100)
    model = HistGradientBoostingRegressor(max_iter=5).fit(X, y)
    check = check_onnx(to_onnx(model, X, task="regression"), model, X, task="regression")
    assert not check.passed and check.max_abs_diff > 1.0, check.sentence


def test_the_check_says_its_n_and_figures_and_is_json_ready() -> None:
    X_train, X_held_out, y_train, _ = _multiclass()
    model, n_classes = _fit("linear", X_train, y_train, "multiclass")
    check = check_onnx(
        to_onnx(model, X_train, task="multiclass", n_classes=n_classes),
        model,
        X_held_out,
        task="multiclass",
    )
    n = len(X_held_out)
    assert check.sentence.startswith(f"On n = {n} rows")
    assert f"label for {n} (100.0%)" in check.sentence and "tolerance of 1e-04" in check.sentence
    assert str(check) == check.sentence
    d = json.loads(json.dumps(check.to_dict()))
    assert d["n"] == n and d["passed"] is True and d["compared"] == "probabilities"
    assert 0 <= d["max_abs_diff"] <= d["tolerance"] and d["label_agreement"] == 1.0

    X_train, X_held_out, y_train, _ = _regression()
    model, _ = _fit("linear", X_train, y_train, "regression")
    check = check_onnx(
        to_onnx(model, X_train, task="regression"), model, X_held_out, task="regression"
    )
    assert check.labels_agreeing is None and check.compared == "predictions"
    assert (
        "of the largest |prediction|" in check.sentence
        and f"n = {len(X_held_out)}" in check.sentence
    )


def test_a_classifier_fitted_on_labels_rather_than_codes_is_refused() -> None:
    from sklearn.linear_model import LogisticRegression

    X_train, _, y_train, _ = _binary()
    labels = np.where(y_train == 1, "benign", "malignant")
    model = LogisticRegression().fit(X_train.iloc[:, :3], labels)
    with pytest.raises(DataError, match="class codes"):
        to_onnx(model, X_train.iloc[:, :3], task="binary")
    codes, _ = _fit("linear", X_train, y_train, "binary")
    with pytest.raises(DataError, match="n_classes is 3"):
        to_onnx(codes, X_train, task="binary", n_classes=3)


def test_unknown_tasks_empty_rows_and_bytes_that_are_not_onnx_are_data_errors() -> None:
    X_train, X_held_out, y_train, _ = _binary()
    model, _ = _fit("linear", X_train, y_train, "binary")
    with pytest.raises(DataError, match="expected one of binary, multiclass, regression"):
        to_onnx(model, X_train, task="classification")
    onnx_bytes = to_onnx(model, X_train, task="binary")
    with pytest.raises(DataError, match="no rows"):
        check_onnx(onnx_bytes, model, X_held_out.iloc[:0], task="binary")
    with pytest.raises(DataError, match="not an ONNX model"):
        check_onnx(b"not onnx", model, X_held_out, task="binary")


# --- registered models: exported from what the registry loads back ---------------------------------
DATA = {"binary": _binary, "multiclass": _multiclass, "regression": _regression, "mixed": _mixed}
LABELS = {"binary": ["malignant", "benign"], "multiclass": ["barolo", "grignolino", "barbera"]}


@functools.cache
def _labelled(data: str) -> Split:
    """The data set with its classes as text labels, so that codes and labels differ."""
    X_train, X_held_out, y_train, y_held_out = DATA[data]()
    names = LABELS.get("binary" if data == "mixed" else data)
    if names is None:
        return X_train, X_held_out, y_train, y_held_out
    return X_train, X_held_out, y_train.map(dict(enumerate(names))), y_held_out


@functools.cache
def _fitted(kind: str, data: str, task: str) -> Any:
    """A ladder rung, or one of LightGBM's or XGBoost's own estimators fitted bare on codes."""
    X_train, _, y_train, _ = _labelled(data)
    if kind in RUNGS:
        return _fit(kind, X_train, y_train, task)[0]
    import lightgbm
    import xgboost

    target = y_train if task == "regression" else np.unique(y_train, return_inverse=True)[1]
    bare: Any = {
        "LGBMClassifier": lightgbm.LGBMClassifier(n_estimators=50, n_jobs=1, verbose=-1),
        "LGBMRegressor": lightgbm.LGBMRegressor(n_estimators=50, n_jobs=1, verbose=-1),
        "XGBClassifier": xgboost.XGBClassifier(n_estimators=50, n_jobs=1),
    }[kind]
    return bare.fit(X_train, target)


def _register(
    model: Any, data: str, task: str, folder: Path, *, allow_pickle: bool = False, **kw: Any
) -> LoadedModel:
    """What ``build_package`` stores (the files and their manifest, without MLflow), read back as
    ``candor.load`` reads it."""
    X_train, _, y_train, _ = _labelled(data)
    fmt, files, trusted = save_model(model, allow_pickle=allow_pickle)
    for name, blob in files.items():
        (folder / name).write_bytes(blob)
    classes = [] if task == "regression" else [plain(c) for c in np.unique(y_train)]
    manifest = Manifest(fmt, task, classes, features_of(X_train), trusted, "test")
    return LoadedModel.from_folder(folder, manifest, allow_pickle=allow_pickle, **kw)


@pytest.mark.parametrize(
    ("kind", "data", "task", "fmt"),
    [
        ("linear", "binary", "binary", "skops"),
        ("lightgbm", "binary", "binary", "skops+lightgbm"),
        ("lightgbm", "multiclass", "multiclass", "skops+lightgbm"),
        ("lightgbm", "regression", "regression", "skops+lightgbm"),
        ("lightgbm", "mixed", "binary", "skops+lightgbm"),
        ("xgboost", "binary", "binary", "skops+xgboost"),
        ("xgboost", "multiclass", "multiclass", "skops+xgboost"),
        ("LGBMClassifier", "multiclass", "multiclass", "lightgbm"),
        ("LGBMRegressor", "regression", "regression", "lightgbm"),
        ("XGBClassifier", "binary", "binary", "xgboost"),
    ],
)
def test_a_registered_model_exports_from_its_stored_format_and_gives_its_labels(
    kind: str, data: str, task: str, fmt: str, tmp_path: Path
) -> None:
    loaded = _register(_fitted(kind, data, task), data, task, tmp_path)
    assert loaded.format == fmt
    _, X_held_out, _, _ = _labelled(data)
    onnx_bytes = export_model(loaded)
    check = check_loaded(onnx_bytes, loaded, X_held_out)
    assert check.passed, check.sentence
    assert check.n == len(X_held_out)
    if task == "regression":
        return
    assert check.labels_agreeing == check.n, check.sentence
    # ONNX gives codes; the labels they stand for travel with the file
    codes, _ = onnx_predict(onnx_bytes, X_held_out)
    meta = ort.InferenceSession(onnx_bytes).get_modelmeta().custom_metadata_map
    labels = np.asarray(json.loads(meta["candor.classes"]), dtype=object)[codes]
    assert labels.tolist() == loaded.predict(X_held_out).tolist()


def test_an_export_takes_the_models_input_schema_whether_or_not_rows_are_given(
    tmp_path: Path,
) -> None:
    loaded = _register(
        _fitted("lightgbm", "mixed", "binary"),
        "mixed",
        "binary",
        tmp_path,
        name="churn",
        version="3",
    )
    X_train, X_held_out, _, _ = _labelled("mixed")
    from_schema, from_rows = export_model(loaded), export_model(loaded, X_train.head(5))
    inputs = [
        [(i.name, i.type) for i in ort.InferenceSession(b).get_inputs()]
        for b in (from_schema, from_rows)
    ]
    assert inputs[0] == inputs[1] and len(inputs[0]) == X_train.shape[1]
    np.testing.assert_array_equal(
        onnx_predict(from_schema, X_held_out)[1], onnx_predict(from_rows, X_held_out)[1]
    )
    meta = ort.InferenceSession(from_schema).get_modelmeta().custom_metadata_map
    assert meta["candor.model"] == "churn/3"
    assert json.loads(meta["candor.classes"]) == ["benign", "malignant"]
    with pytest.raises(DataError, match="lacks 1 of the model's"):
        export_model(loaded, X_train.drop(columns=["colour"]))


def test_the_check_of_a_registered_model_fails_for_the_export_of_another(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    linear = _register(_fitted("linear", "binary", "binary"), "binary", "binary", tmp_path / "a")
    boosted = _register(_fitted("lightgbm", "binary", "binary"), "binary", "binary", tmp_path / "b")
    _, X_held_out, _, _ = _labelled("binary")
    check = check_loaded(export_model(linear), boosted, X_held_out)
    assert not check.passed and check.max_abs_diff > 100 * PROBABILITY_TOLERANCE


class Handmade(ClassifierMixin, BaseEstimator):
    """A user's own class: stored only as a pickle."""

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.tile([0.5, 0.5], (len(X), 1))


def test_a_torch_network_or_a_pickle_is_refused_with_a_data_error(tmp_path: Path) -> None:
    pickled = _register(Handmade(), "binary", "binary", tmp_path, allow_pickle=True)
    assert pickled.format == "pickle"
    with pytest.raises(DataError, match="stored as 'pickle', which does not export") as raised:
        export_model(pickled)
    assert "skops, skops+lightgbm" in str(raised.value)
    # the format decides, before the network is looked at: a stand-in for candor's CNN will do
    torch = LoadedModel(
        Predictor(object(), "multiclass", 10), replace(pickled.manifest, format="torch")
    )
    with pytest.raises(DataError, match=r"torch network.*torch\.onnx\.export"):
        export_model(torch)


def test_a_classifier_fitted_on_fewer_classes_than_registered_is_refused(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    X_train, _, y_train, _ = _labelled("binary")
    model = LogisticRegression().fit(X_train.iloc[:, :3], (y_train == "benign").astype(int))
    loaded = _register(model, "binary", "binary", tmp_path)
    three = LoadedModel(
        loaded._predictor,
        replace(loaded.manifest, classes=["a", "b", "c"], features=loaded.features[:3]),
    )
    with pytest.raises(DataError, match=r"not on the codes 0\.\.2 of the 3 labels"):
        export_model(three)
