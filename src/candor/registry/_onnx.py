"""ONNX export of a fitted ladder model or a registered one, and the check that the export predicts
what the model does.

``to_onnx`` turns a rung's fitted pipeline (column preparation and a final estimator, fitted on a
DataFrame, classifiers on class codes ``0..k-1``) into ONNX bytes with skl2onnx, LightGBM and
XGBoost through onnxmltools' converters. ``check_onnx`` runs those bytes in ONNX Runtime on rows
and compares them with the model itself: an export is only as good as that comparison, so every
export should be checked on held-out rows before it is stored or served. ``export_model`` and
``check_loaded`` do the same for a registered model (a ``LoadedModel``, as ``candor.load`` gives
it), starting from the files the registry stored, whatever their format.

The ONNX model's inputs follow the DataFrame's columns:

- when every column is numeric (or boolean), one float32 tensor ``X`` of shape ``[rows, columns]``,
  the columns in the order of the sample given to ``to_onnx``: what a serving stack most easily
  feeds (one contiguous array) and what most runtimes expect;
- otherwise one ``[rows, 1]`` input per column, named after the column (as an identifier: "mean
  radius" becomes ``mean_radius``): float32 for numeric columns, string for the others, a missing
  text value fed as ``MISSING_TEXT``. One string tensor cannot carry numbers, and a float one
  cannot carry text, so mixed data needs inputs of both kinds; one per column is what skl2onnx's
  column transformer resolves by name, and what a caller outside Python can fill by name.

``onnx_predict`` builds either feed from a DataFrame; the column order, the layout and which input
is which column travel in the ONNX model's metadata (``candor.columns``, ``candor.inputs``,
``candor.input_columns``), so no caller rebuilds them.

The export works around three faults of skl2onnx 1.20 and one of onnxmltools 1.16, each proven by
``check_onnx``: k nearest neighbours with ``weights="distance"`` exported as uniform weights,
HistGradientBoosting refused under protobuf 7, ``SimpleImputer(add_indicator=True)`` losing its
indicator columns, and XGBoost refused when fitted on a DataFrame (features named, not numbered).

>>> from sklearn.datasets import load_iris
>>> from sklearn.linear_model import LogisticRegression
>>> X, y = load_iris(return_X_y=True, as_frame=True)
>>> model = LogisticRegression(max_iter=500).fit(X, y)
>>> check = check_onnx(to_onnx(model, X, task="multiclass", n_classes=3), model, X, task="multiclass")
>>> check.passed, check.n, check.labels_agreeing
(True, 150, 150)
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from candor.errors import DataError
from candor.registry._loaded import LoadedModel, input_frame
from candor.registry._onnx_converters import (
    EXPORTABLE,
    MISSING_TEXT,
    conversion_error,
    converters,
    exportable_twin,
    first_line,
    last_step,
    model_name,
    registered_model,
    undo_negated_knn_distances,
)

__all__ = [
    "EXPORTABLE",
    "MISSING_TEXT",
    "PREDICTION_RTOL",
    "PROBABILITY_TOLERANCE",
    "TARGET_OPSET",
    "TASKS",
    "OnnxCheck",
    "check_loaded",
    "check_onnx",
    "export_model",
    "onnx_predict",
    "to_onnx",
]

TASKS = ("binary", "multiclass", "regression")

#: operator sets the export targets. ai.onnx.ml 3 is the newest that onnxmltools' LightGBM and
#: XGBoost converters write; the default domain at 17 loads in every ONNX Runtime since 1.13 (2022),
#: so a service on an older runtime (Java, C#, mobile) can still run the file.
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}

#: Tolerance on probabilities (absolute; they lie in [0, 1]). ONNX runs in float32, whose unit
#: roundoff is 2**-24 (6e-8), where scikit-learn computes in float64; a probability is a sum over up
#: to a few hundred trees, features or hidden units followed by a sigmoid or softmax, so rounding
#: alone stays below ~1e-5 (measured at most 3e-6 over the ladder's rungs). A real fault (a
#: column out of order, a step lost, a tree that branches the other way) moves a probability by
#: 1e-3 or more, so 1e-4 separates the two with a margin on each side.
PROBABILITY_TOLERANCE = 1e-4
#: Tolerance on regression predictions, relative to the largest |prediction| (at least 1): the same
#: float32 argument, applied to the target's scale (a sum of 300 trees around 150 rounds to ~3e-4).
PREDICTION_RTOL = 1e-4


@dataclass(frozen=True, slots=True)
class OnnxCheck:
    """ONNX Runtime's output on ``n`` rows next to the original model's.

    ``max_abs_diff`` is over probabilities (classification) or predictions (regression);
    ``passed`` holds when it is within ``tolerance`` and every label that differs sits on a tie the
    original model itself cannot break by more than float32 can resolve (``near_ties``).
    """

    task: str
    n: int
    compared: str  # "probabilities" | "predictions"
    max_abs_diff: float
    tolerance: float
    tolerance_rule: str
    #: rows where ONNX gives the model's label (None for regression)
    labels_agreeing: int | None
    label_agreement: float | None
    #: rows whose labels differ where the model's top two probabilities are within 2 x tolerance
    near_ties: int
    passed: bool
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        if not math.isfinite(self.max_abs_diff):  # JSON has no infinity
            d["max_abs_diff"] = None
        return d

    def __str__(self) -> str:
        return self.sentence


def to_onnx(model: Any, X_sample: pd.DataFrame, *, task: str, n_classes: int = 0) -> bytes:
    """ONNX bytes for a fitted model that takes the columns of ``X_sample``.

    ``model`` is what the ladder fits: a scikit-learn pipeline (or estimator) fitted on a
    DataFrame with these columns, a classifier on class codes ``0..n_classes-1``. Probabilities
    come out as a plain ``[rows, classes]`` tensor next to the labels (codes); a regressor gives one
    ``[rows, 1]`` tensor. A model with no converter raises ``DataError`` naming it and the families
    that export.

    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import Ridge
    >>> X, y = load_diabetes(return_X_y=True, as_frame=True)
    >>> predictions, _ = onnx_predict(to_onnx(Ridge().fit(X, y), X, task="regression"), X.head(3))
    >>> predictions.shape
    (3,)
    """
    return _export(model, X_sample, task, n_classes, {})


def export_model(loaded: LoadedModel, X_sample: Any = None) -> bytes:
    """ONNX bytes for a registered model, as ``candor.load`` gives it back.

    What the registry stored is put back together into one model the converters take: the
    pipeline itself (``skops``), the preprocessing pipeline followed by the LightGBM booster or
    the XGBoost estimator (``skops+lightgbm``, ``skops+xgboost``), or the bare booster or estimator
    (``lightgbm``, ``xgboost``). A torch network or a pickle raises ``DataError``.

    The inputs follow the model's input schema (``loaded.features``, in training order), so
    ``X_sample`` is optional: rows given are only checked to hold those columns. ONNX gives class
    codes; the labels they stand for travel in the metadata as ``candor.classes`` (a code is a
    position in that list, as in ``loaded.classes``). Check the bytes with ``check_loaded``.

    >>> loaded = candor.load("churn@champion")  # doctest: +SKIP
    >>> check_loaded(export_model(loaded), loaded, X_held_out).passed  # doctest: +SKIP
    True
    """
    if X_sample is None:
        frame = pd.DataFrame(
            {f.name: pd.Series(dtype=float if f.numeric else object) for f in loaded.features}
        )
    else:
        frame = input_frame(X_sample, loaded.features)
    model = registered_model(loaded)
    n_classes = len(loaded.classes)
    if loaded.task != "regression":
        _check_registered_classes(model, loaded)
    metadata = {"candor.classes": json.dumps(loaded.classes)}
    if loaded.name:
        metadata["candor.model"] = f"{loaded.name}/{loaded.version}"
    return _export(model, frame, loaded.task, n_classes, metadata)


def _export(
    model: Any, X_sample: pd.DataFrame, task: str, n_classes: int, metadata: dict[str, str]
) -> bytes:
    _check_task(task)
    if X_sample.shape[1] == 0:
        raise DataError("X_sample has no columns: give the DataFrame the model was fitted on")
    if task != "regression":
        n_classes = _check_class_codes(model, n_classes)
    skl2onnx, _ = converters()
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    columns = list(X_sample.columns)
    matrix = all(_is_numeric(X_sample[c]) for c in columns)
    if matrix:
        inputs: list[tuple[str, Any]] = [("X", FloatTensorType([None, len(columns)]))]
    else:
        odd = [c for c in columns if not isinstance(c, str)]
        if odd:
            raise DataError(
                f"column names {odd!r} are not text: ONNX names each input after its column; "
                "rename the columns to strings before fitting"
            )
        inputs = [
            (
                c,
                FloatTensorType([None, 1])
                if _is_numeric(X_sample[c])
                else StringTensorType([None, 1]),
            )
            for c in columns
        ]
    twin = exportable_twin(model, {c: i for i, c in enumerate(columns)} if matrix else None)
    # zipmap off: probabilities as one float tensor, not a list of {class: probability} maps
    options = None if task == "regression" else {id(last_step(twin)): {"zipmap": False}}
    try:
        with warnings.catch_warnings():
            # skl2onnx reads SVC's probA_/probB_, deprecated in scikit-learn 1.9: noise to a user
            warnings.simplefilter("ignore", FutureWarning)
            onx = skl2onnx.convert_sklearn(
                twin, initial_types=inputs, options=options, target_opset=TARGET_OPSET
            )
    except Exception as err:
        raise conversion_error(err, model) from None
    undo_negated_knn_distances(onx.graph)
    import onnx

    props = {
        "candor.columns": json.dumps([str(c) for c in columns]),
        "candor.inputs": "matrix" if matrix else "columns",
        "candor.task": task,
        "candor.n_classes": str(n_classes),
    }
    if not matrix:
        # skl2onnx keeps the inputs in the order declared but writes each name as an identifier
        # ("mean radius" becomes "mean_radius"): the metadata says which input is which column
        names = [i.name for i in onx.graph.input]
        props["candor.input_columns"] = json.dumps(dict(zip(names, map(str, columns), strict=True)))
    onnx.helper.set_model_props(onx, {**props, **metadata})
    return bytes(onx.SerializeToString())


def onnx_predict(onnx_bytes: bytes, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    """ONNX Runtime's output for the rows of ``X``: ``(labels, probabilities)`` for a classifier,
    ``(predictions, None)`` for a regressor. Columns are matched by name, in any order."""
    session = _session(onnx_bytes)
    meta = session.get_modelmeta().custom_metadata_map
    by_name = {str(c): c for c in X.columns}
    columns = json.loads(meta["candor.columns"]) if "candor.columns" in meta else list(by_name)
    absent = [c for c in columns if c not in by_name]
    if absent:
        raise DataError(
            f"X lacks column(s) {', '.join(absent)} that the ONNX model takes; "
            f"it takes {', '.join(columns)}"
        )
    frame = X[[by_name[c] for c in columns]]
    frame.columns = pd.Index(columns)
    feed: dict[str, np.ndarray] = {}
    if meta.get("candor.inputs", "matrix") == "matrix":
        feed[session.get_inputs()[0].name] = frame.to_numpy(dtype=np.float32, na_value=np.nan)
    else:
        input_columns = json.loads(meta["candor.input_columns"])
        for inp in session.get_inputs():
            col = frame[input_columns[inp.name]]
            if inp.type == "tensor(string)":
                feed[inp.name] = np.array([_as_text(v) for v in col], dtype=object).reshape(-1, 1)
            else:
                feed[inp.name] = col.to_numpy(dtype=np.float32, na_value=np.nan).reshape(-1, 1)
    try:
        outputs = session.run(None, feed)
    except Exception as err:
        raise DataError(
            f"ONNX Runtime could not run the model on these rows: {first_line(err)}"
        ) from err
    if len(outputs) == 1:
        return np.asarray(outputs[0], dtype=np.float64).reshape(len(X), -1)[:, 0], None
    return np.asarray(outputs[0]).ravel(), np.asarray(outputs[1], dtype=np.float64)


def check_loaded(onnx_bytes: bytes, loaded: LoadedModel, X: Any) -> OnnxCheck:
    """``check_onnx`` for a registered model: ONNX Runtime's output on the rows of ``X`` next to
    what ``loaded`` itself gives (``predict_proba``, or ``predict`` for a regressor).

    ``X`` is anything ``loaded.predict`` takes. ONNX gives class codes where ``loaded.predict``
    gives labels; labels are compared as codes (the argmax of ``loaded.predict_proba``, from
    which ``loaded.predict`` reads its label in ``loaded.classes``), so two labels agree exactly
    when their codes do.
    """
    frame = input_frame(X, loaded.features)
    return check_onnx(onnx_bytes, _InClassCodes(loaded), frame, task=loaded.task)


class _InClassCodes:
    """A registered model answering as ``check_onnx`` asks a ladder model: labels as codes."""

    def __init__(self, loaded: LoadedModel) -> None:
        self._loaded = loaded

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self._loaded.predict_proba(X)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self._loaded.task == "regression":
            return self._loaded.predict(X)
        return np.argmax(self._loaded.predict_proba(X), axis=1)


def check_onnx(onnx_bytes: bytes, model: Any, X: pd.DataFrame, *, task: str) -> OnnxCheck:
    """Run the ONNX export on the rows of ``X`` and compare it with ``model`` on the same rows.

    Use held-out rows: they are what the export will meet. See ``PROBABILITY_TOLERANCE`` and
    ``PREDICTION_RTOL`` for why the tolerances are what they are.
    """
    _check_task(task)
    n = len(X)
    if n == 0:
        raise DataError("no rows to check the ONNX export on: give at least one (held-out) row")
    got, got_proba = onnx_predict(onnx_bytes, X)
    if task == "regression":
        expected = np.asarray(model.predict(X), dtype=np.float64).reshape(n, -1)[:, 0]
        diff = _max_abs_diff(got, expected)
        finite = np.abs(expected[np.isfinite(expected)])
        scale = max(1.0, float(finite.max())) if finite.size else 1.0
        tol = PREDICTION_RTOL * scale
        rule = f"{PREDICTION_RTOL:.0e} of the largest |prediction|, {scale:.3g}, for float32"
        passed = diff <= tol
        verdict = "passes" if passed else "fails"
        within = "within" if passed else "above"
        sentence = (
            f"On n = {n:,} rows ONNX Runtime's predictions are at most {diff:.2g} from the "
            f"model's, {within} the tolerance of {tol:.2g} ({rule}): the export {verdict}."
        )
        return OnnxCheck(task, n, "predictions", diff, tol, rule, None, None, 0, passed, sentence)

    if not hasattr(model, "predict_proba"):
        raise DataError(
            f"{model_name(model)} has no predict_proba: the check compares probabilities; "
            "calibrate the classifier (CalibratedClassifierCV) as the ladder's SVM rungs do"
        )
    expected_proba = np.asarray(model.predict_proba(X), dtype=np.float64)
    expected = np.asarray(model.predict(X)).ravel()
    tol = PROBABILITY_TOLERANCE
    rule = "absolute, on probabilities, for float32"
    # an export of a regressor has no probabilities, one of another model may have other classes
    if got_proba is None:
        diff, shown = math.inf, "no probabilities"
    elif got_proba.shape != expected_proba.shape:
        diff = math.inf
        shown = f"probabilities of shape {list(got_proba.shape)}, not {list(expected_proba.shape)}"
    else:
        diff = _max_abs_diff(got_proba, expected_proba)
        within = "within" if diff <= tol else "above"
        shown = (
            f"probabilities at most {diff:.2g} apart, {within} the tolerance of {tol:.0e} ({rule})"
        )
    same = got == expected if got.shape == expected.shape else np.zeros(n, dtype=bool)
    agreeing = int(same.sum())
    top2 = np.sort(expected_proba, axis=1)[:, -2:]
    tie = (top2[:, -1] - top2[:, 0]) <= 2 * tol if top2.shape[1] == 2 else np.zeros(n, dtype=bool)
    near_ties = int((~same & tie).sum())
    passed = diff <= tol and agreeing + near_ties == n
    ties = f"; {near_ties:,} other(s) on a tie float32 cannot break" if near_ties else ""
    sentence = (
        f"On n = {n:,} rows ONNX Runtime gives the model's label for {agreeing:,} "
        f"({agreeing / n:.1%}{ties}) and {shown}: the export {'passes' if passed else 'fails'}."
    )
    return OnnxCheck(
        task,
        n,
        "probabilities",
        diff,
        tol,
        rule,
        agreeing,
        agreeing / n,
        near_ties,
        passed,
        sentence,
    )


# --- small parts ----------------------------------------------------------------------------------
def _check_task(task: str) -> None:
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")


def _check_class_codes(model: Any, n_classes: int) -> int:
    """The number of classes, once the classifier is known to be fitted on codes 0..k-1."""
    classes = getattr(model, "classes_", None)
    if classes is None:
        return n_classes
    classes = np.asarray(classes)
    if classes.dtype.kind not in "iu" or not np.array_equal(classes, np.arange(len(classes))):
        shown = ", ".join(map(repr, classes[:5].tolist())) + (", ..." if len(classes) > 5 else "")
        raise DataError(
            f"the classifier was fitted on labels ({shown}), not on class codes 0..k-1: "
            "fit it on codes as the ladder does (np.unique(y, return_inverse=True)[1])"
        )
    if n_classes and len(classes) != n_classes:
        raise DataError(
            f"the classifier knows {len(classes)} classes but n_classes is {n_classes}; "
            "pass the number of classes it was fitted on"
        )
    return len(classes)


def _check_registered_classes(model: Any, loaded: LoadedModel) -> None:
    """A registered classifier exports only when its columns are the codes of ``loaded.classes``."""
    classes = getattr(last_step(model), "classes_", None)
    k = len(loaded.classes)
    if classes is None or np.array_equal(np.asarray(classes), np.arange(k)):
        return
    shown = ", ".join(map(repr, np.asarray(classes)[:5].tolist()))
    raise DataError(
        f"{_what(loaded)} holds a classifier fitted on the classes ({shown}{', ...' if len(classes) > 5 else ''}), "
        f"not on the codes 0..{k - 1} of the {k} labels it was registered with (a label absent "
        "from its training rows, or labels fitted rather than codes): its ONNX export would not "
        "line up with the model's labels. Refit it on rows of every class and register it again"
    )


def _what(loaded: LoadedModel) -> str:
    return f"{loaded.name} v{loaded.version}" if loaded.name else "this model"


def _is_numeric(col: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col))


def _as_text(value: Any) -> str:
    # scikit-learn's imputers take NaN (and pandas' NA) as missing but None as a category of its
    # own, which the encoders know as "None": the feed keeps that difference
    if value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return MISSING_TEXT
    return str(value)


def _session(onnx_bytes: bytes) -> Any:
    _, ort = converters()
    options = ort.SessionOptions()
    # one thread: the check is a one-off on a few thousand rows, and on a shared machine a pool
    # sized to every core would contend with the ladder's own workers
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
    except Exception as err:
        raise DataError(
            f"these bytes are not an ONNX model ONNX Runtime can load: {first_line(err)}"
        ) from None


def _max_abs_diff(got: np.ndarray, expected: np.ndarray) -> float:
    if got.shape != expected.shape:
        return math.inf
    diff = np.abs(got.astype(np.float64) - expected)
    diff[np.isnan(got) & np.isnan(expected)] = 0.0
    diff[np.isnan(diff)] = math.inf  # NaN on one side only is a mismatch, not a small number
    return float(diff.max()) if diff.size else 0.0
