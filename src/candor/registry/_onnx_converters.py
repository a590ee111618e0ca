"""What makes a fitted model convertible: the converters candor registers with skl2onnx, the
workarounds for skl2onnx's faults, and the model a registered model's files are rebuilt into.

Private to :mod:`candor.registry._onnx`, whose ``check_onnx`` is what proves each piece here: a
converter or a rewiring is only kept because the export it makes predicts what the model does.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from candor.errors import DataError

if TYPE_CHECKING:
    from candor.registry._loaded import LoadedModel

#: what a missing value of a text column is fed as (ONNX strings have no NaN); the export makes the
#: model's text imputers treat this value as missing
MISSING_TEXT = ""

#: the model families candor exports, named as a user meets them: the ladder's rungs
EXPORTABLE = {
    "linear": "logistic regression / ridge regression",
    "naive_bayes": "Gaussian naive Bayes",
    "knn": "k nearest neighbours",
    "svm_linear": "linear SVM (calibrated)",
    "svm_rbf": "RBF SVM (calibrated)",
    "decision_tree": "decision tree",
    "random_forest": "random forest",
    "hist_gb": "histogram gradient boosting",
    "lightgbm": "LightGBM",
    "xgboost": "XGBoost",
    "mlp": "multi-layer perceptron (scikit-learn)",
}

#: the registry's formats (``candor.registry.FORMATS``) that ``export_model`` converts
EXPORTED_FORMATS = ("skops", "skops+lightgbm", "skops+xgboost", "lightgbm", "xgboost")


# --- converters -----------------------------------------------------------------------------------
@functools.cache
def converters() -> tuple[Any, Any]:
    """skl2onnx and onnxruntime, with the converters candor adds registered once per process."""
    try:
        import onnxruntime
        import skl2onnx
    except ImportError as err:
        raise DataError(
            f"ONNX export needs {err.name}, which is not installed: "
            "pip install 'candor[onnx]' (skl2onnx, onnxmltools, onnxruntime)"
        ) from None
    from skl2onnx import update_registered_converter
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes as classifier_shapes,
    )
    from skl2onnx.common.shape_calculator import (
        calculate_linear_regressor_output_shapes as regressor_shapes,
    )
    from skl2onnx.operator_converters.random_forest import (
        convert_sklearn_random_forest_classifier,
        convert_sklearn_random_forest_regressor_converter,
    )
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.impute import MissingIndicator

    classifier_options = {"nocl": [True, False], "zipmap": [True, False, "columns"]}
    try:
        import lightgbm
        from onnxmltools.convert.lightgbm.operator_converters.LightGbm import convert_lightgbm

        update_registered_converter(
            lightgbm.LGBMClassifier,
            "LightGbmLGBMClassifier",
            classifier_shapes,
            convert_lightgbm,
            options=classifier_options,
        )
        update_registered_converter(
            lightgbm.LGBMRegressor,
            "LightGbmLGBMRegressor",
            regressor_shapes,
            convert_lightgbm,
            options={"split": None},
        )
        # a registered LightGBM model comes back as a Booster: the same converter, wrapped
        update_registered_converter(
            LightGbmBoosterClassifier,
            "CandorLightGbmBoosterClassifier",
            classifier_shapes,
            convert_lightgbm,
            options=classifier_options,
        )
        update_registered_converter(
            LightGbmBoosterRegressor,
            "CandorLightGbmBoosterRegressor",
            regressor_shapes,
            convert_lightgbm,
            options={"split": None},
        )
    except ImportError:  # no LightGBM (or no onnxmltools): its models raise "no converter"
        pass
    try:
        import xgboost
        from onnxmltools.convert.xgboost.operator_converters.XGBoost import convert_xgboost

        update_registered_converter(
            xgboost.XGBClassifier,
            "XGBoostXGBClassifier",
            classifier_shapes,
            convert_xgboost,
            options=classifier_options,
        )
        update_registered_converter(
            xgboost.XGBRegressor, "XGBoostXGBRegressor", regressor_shapes, convert_xgboost
        )
    except ImportError:
        pass
    # skl2onnx 1.20 writes Python bools into HistGradientBoosting's integer attribute lists, which
    # protobuf 7 refuses ("Expected an int, got a boolean"); the same converter, with ints
    update_registered_converter(
        HistGradientBoostingClassifier,
        "SklearnHistGradientBoostingClassifier",
        classifier_shapes,
        _with_integer_attributes(convert_sklearn_random_forest_classifier),
        options={
            "zipmap": [True, False, "columns"],
            "raw_scores": [True, False],
            "output_class_labels": [False, True],
            "nocl": [True, False],
        },
    )
    update_registered_converter(
        HistGradientBoostingRegressor,
        "SklearnHistGradientBoostingRegressor",
        regressor_shapes,
        _with_integer_attributes(convert_sklearn_random_forest_regressor_converter),
        options={"raw_scores": [True, False]},
    )
    # skl2onnx has no MissingIndicator, which SimpleImputer(add_indicator=True) holds
    update_registered_converter(
        MissingIndicator,
        "CandorMissingIndicator",
        _missing_indicator_shape,
        _convert_missing_indicator,
    )
    return skl2onnx, onnxruntime


def _with_integer_attributes(convert: Callable[..., None]) -> Callable[..., None]:
    def convert_with_integer_attributes(scope: Any, operator: Any, container: Any) -> None:
        convert(scope, operator, _IntegerAttributes(container))

    return convert_with_integer_attributes


class _IntegerAttributes:
    """skl2onnx's node container, handing on node attributes with bools written as ints."""

    def __init__(self, container: Any) -> None:
        self._container = container

    def __getattr__(self, name: str) -> Any:
        return getattr(self._container, name)

    def add_node(self, *args: Any, **attrs: Any) -> Any:
        for key, value in attrs.items():
            if isinstance(value, list):
                attrs[key] = [int(v) if isinstance(v, bool | np.bool_) else v for v in value]
        return self._container.add_node(*args, **attrs)


def _missing_indicator_shape(operator: Any) -> None:
    from skl2onnx.common.data_types import FloatTensorType

    features = operator.raw_operator.features_
    operator.outputs[0].type = FloatTensorType(
        [operator.inputs[0].get_first_dimension(), len(features)]
    )


def _convert_missing_indicator(scope: Any, operator: Any, container: Any) -> None:
    from onnx import TensorProto

    op = operator.raw_operator
    if not (isinstance(op.missing_values, float) and math.isnan(op.missing_values)):
        raise NotImplementedError(
            f"MissingIndicator with missing_values={op.missing_values!r}: only NaN exports"
        )
    columns = scope.get_unique_variable_name("indicator_columns")
    container.add_initializer(
        columns, TensorProto.INT64, [len(op.features_)], [int(i) for i in op.features_]
    )
    picked = scope.get_unique_variable_name("indicator_input")
    container.add_node(
        "Gather",
        [operator.inputs[0].full_name, columns],
        [picked],
        axis=1,
        name=scope.get_unique_operator_name("Gather"),
    )
    missing = scope.get_unique_variable_name("indicator_missing")
    container.add_node("IsNaN", [picked], [missing], name=scope.get_unique_operator_name("IsNaN"))
    container.add_node(
        "Cast",
        [missing],
        [operator.outputs[0].full_name],
        to=TensorProto.FLOAT,
        name=scope.get_unique_operator_name("Cast"),
    )


# --- the model as the converters can take it ------------------------------------------------------
def exportable_twin(model: Any, positions: dict[Hashable, int] | None) -> Any:
    """A shallow copy of ``model`` that predicts the same and that skl2onnx can convert.

    The fitted parts are shared, never refitted; only the wiring changes:
    - with one input matrix (``positions`` given), the column transformer selects by position,
      because skl2onnx resolves a column *name* only against an input of that name;
    - ``SimpleImputer(add_indicator=True)`` becomes the imputer and its missing-value indicator side
      by side (a FeatureUnion: the same columns in the same order), since skl2onnx's imputer
      drops the indicator;
    - a text imputer whose missing value is NaN takes ``MISSING_TEXT`` instead, what
      ``onnx_predict`` feeds for a missing text value;
    - an XGBoost model fitted on a DataFrame forgets its column names (a copy of its booster).
    ``check_onnx`` is what proves the twin predicts as the model does.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import FeatureUnion, Pipeline

    if isinstance(model, Pipeline):
        twin = copy.copy(model)
        twin.steps = [(name, exportable_twin(step, positions)) for name, step in model.steps]
        return twin
    if isinstance(model, ColumnTransformer) and hasattr(model, "transformers_"):
        twin = copy.copy(model)
        parts = []
        for name, part, cols in model.transformers_:
            if positions is not None and isinstance(cols, list | tuple | np.ndarray | pd.Index):
                absent = [
                    c for c in cols if not isinstance(c, int | np.integer) and c not in positions
                ]
                if absent:
                    raise DataError(
                        f"X_sample lacks column(s) {absent!r} that the model was fitted on; "
                        "give to_onnx rows with the training columns"
                    )
                cols = [c if isinstance(c, int | np.integer) else positions[c] for c in cols]
            parts.append(
                (name, part if isinstance(part, str) else exportable_twin(part, None), cols)
            )
        twin.transformers_ = parts
        return twin
    if isinstance(model, SimpleImputer) and hasattr(model, "statistics_"):
        twin = copy.copy(model)
        text = np.asarray(model.statistics_).dtype.kind in "OUS"
        if text and not isinstance(model.missing_values, str):
            twin.missing_values = MISSING_TEXT
        indicator = getattr(model, "indicator_", None)
        if model.add_indicator and indicator is not None:
            twin.add_indicator, twin.indicator_ = False, None
            if len(indicator.features_):
                return FeatureUnion([("impute", twin), ("indicate", indicator)])
        return twin
    booster = model.get_booster() if type(model).__module__.startswith("xgboost.") else None
    if booster is not None and booster.feature_names is not None:
        # onnxmltools reads a tree's feature as "f<position>"; an XGBoost model fitted on a
        # DataFrame (not behind a pipeline's preparation) names them after its columns instead
        twin = copy.deepcopy(model)
        twin.get_booster().feature_names = None
        return twin
    return model


def undo_negated_knn_distances(graph: Any) -> None:
    """skl2onnx 1.20 negates the k nearest distances before ``Max(d, 1e-6)`` and ``1/d``: every
    weight becomes 1e6, so ``weights="distance"`` silently turns uniform (onnx/sklearn-onnx#1214).
    TopK with ``largest=0`` already yields the (positive) distances: the ``Mul`` by -1 after it
    is dropped. A later skl2onnx without that Mul leaves nothing to undo."""
    from onnx import numpy_helper

    topk_values = {
        node.output[0]
        for node in graph.node
        if node.op_type == "TopK" and any(a.name == "largest" and a.i == 0 for a in node.attribute)
    }
    if not topk_values:
        return
    minus_one = {
        init.name
        for init in graph.initializer
        if math.prod(init.dims) == 1 and float(numpy_helper.to_array(init).ravel()[0]) == -1.0
    }
    outputs = {o.name for o in graph.output}
    dropped: set[str] = set()
    for node in list(graph.node):
        if (
            node.op_type == "Mul"
            and len(node.input) == 2
            and node.input[0] in topk_values
            and node.input[1] in minus_one
            and node.output[0] not in outputs
        ):
            for other in graph.node:
                for i, name in enumerate(other.input):
                    if name == node.output[0]:
                        other.input[i] = node.input[0]
            graph.node.remove(node)
            dropped.add(node.input[1])
    used = {name for node in graph.node for name in node.input}
    for init in list(graph.initializer):
        if init.name in dropped and init.name not in used:
            graph.initializer.remove(init)


# --- a registered model, put back together --------------------------------------------------------
def registered_model(loaded: LoadedModel) -> Any:
    """The fitted model a registered model's files hold, put back together as one object the
    converters take; its classifier predicts class codes, as the ladder fitted it.

    The registry keeps a LightGBM or XGBoost model apart from its preprocessing, in the booster's
    own format (``skops+lightgbm``...): the preprocessing pipeline gets the booster back as its
    last step, a LightGBM ``Booster`` wrapped as the estimator onnxmltools' converter reads.
    """
    fmt = loaded.format
    what = f"{loaded.name} v{loaded.version}" if loaded.name else "this model"
    if fmt == "torch":
        raise DataError(
            f"{what} is a torch network (format torch), which candor does not export to ONNX: "
            "ONNX export covers the scikit-learn, LightGBM and XGBoost models; serve it "
            "through candor.load, or export the network itself with torch.onnx.export"
        )
    if fmt not in EXPORTED_FORMATS:
        raise DataError(
            f"{what} is stored as {fmt!r}, which does not export to ONNX: candor stores a "
            "pickle only for a type no safe format covers, and no ONNX converter covers such a "
            f"type either. The formats that export are {', '.join(EXPORTED_FORMATS)}; serve "
            "this model through candor.load(..., allow_pickle=True)"
        )
    # the registry's own reader (Predictor) holds the parts; LoadedModel only speaks in labels
    predictor = loaded._predictor
    estimator, prepare = predictor.native, predictor._prepare
    if fmt.endswith("lightgbm"):
        estimator = (
            LightGbmBoosterRegressor(estimator)
            if loaded.task == "regression"
            else LightGbmBoosterClassifier(estimator)
        )
    if prepare is None:
        return estimator
    from sklearn.pipeline import Pipeline

    return Pipeline([*prepare.steps, ("model", estimator)])


class _LightGbmBooster(BaseEstimator):
    """A LightGBM ``Booster`` read back from LightGBM's text format, seen as onnxmltools'
    converter sees a fitted ``LGBMModel``: through ``booster_`` and ``boosting_type``. It only
    carries the booster to the converter; the registry's ``Predictor`` does the predicting."""

    def __init__(self, booster: Any = None) -> None:
        self.booster = booster

    @property
    def booster_(self) -> Any:
        return self.booster

    @property
    def boosting_type(self) -> str:
        # the converter treats a random forest ("rf") apart from boosted trees (wrongly in
        # onnxmltools 1.16: check_onnx fails such an export); the text format keeps the parameter
        return str(self.booster.params.get("boosting", "gbdt"))


class LightGbmBoosterRegressor(RegressorMixin, _LightGbmBooster):
    """A LightGBM regression ``Booster``, for export."""


class LightGbmBoosterClassifier(ClassifierMixin, _LightGbmBooster):
    """A LightGBM classification ``Booster``, for export: its classes are the codes its outputs
    stand for (a binary booster has one output, the probability of code 1)."""

    @property
    def classes_(self) -> np.ndarray:
        outputs = int(self.booster.num_model_per_iteration())
        return np.arange(2 if outputs == 1 else outputs)


# --- small parts ----------------------------------------------------------------------------------
def last_step(model: Any) -> Any:
    steps = getattr(model, "steps", None)
    return last_step(steps[-1][1]) if steps else model


def model_name(model: Any) -> str:
    last = last_step(model)
    inner = getattr(last, "estimator", None)
    name = type(last).__name__
    return f"{name}({type(inner).__name__})" if inner is not None else name


def conversion_error(err: Exception, model: Any) -> DataError:
    from skl2onnx.common.exceptions import MissingConverter, MissingShapeCalculator

    if isinstance(err, MissingConverter | MissingShapeCalculator):
        found = re.search(r"<class '([\w.]+)'>", str(err))
        culprit = found.group(1).rsplit(".", 1)[-1] if found else model_name(model)
        families = ", ".join(f"{label} ({rung})" for rung, label in EXPORTABLE.items())
        return DataError(
            f"{culprit} cannot be exported to ONNX: skl2onnx has no converter for it. The model "
            f"families that export are {families}; keep this model as its skops file, or pick "
            "one of those rungs"
        )
    reason = f"{type(err).__name__}: {first_line(err)}"
    if "Infrequent categories" in reason:
        reason = (
            "a text column has more than 30 categories, and the one-hot encoder folds the rarest "
            "into one column, which skl2onnx cannot write; the tree rungs (ordinal codes) export "
            "such data"
        )
    return DataError(f"{model_name(model)} could not be exported to ONNX: {reason}")


def first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return text[0][:300] if text else type(err).__name__
