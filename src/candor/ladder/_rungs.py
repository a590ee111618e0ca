"""The ladder's rungs: a registry. Adding a rung is adding one function decorated with ``@rung``.

Each builder gets the ``Context`` of the data (task, column kinds, rows, seed) and returns an unfitted
scikit-learn estimator with its preprocessing (imputation, encoding, scaling as the model needs).
Rungs are registered in order of cost: the ladder climbs them in this order, and among models that
score alike the earliest is the one recommended.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

#: above this many training rows the RBF SVM is fitted on a stated random subsample
SVM_RBF_MAX_ROWS = 5_000


@dataclass(frozen=True)
class Context:
    """What a rung builder may know about the data."""

    task: str
    numeric: list[str]
    categorical: list[str]
    n_rows: int
    n_classes: int
    seed: int = 0
    #: (height, width) when the columns are the pixels of an image, else None
    image_shape: tuple[int, int] | None = None


@dataclass(frozen=True)
class Rung:
    """One model on the ladder."""

    name: str
    label: str
    family: str  # for sizing: linear, tree, ensemble, neighbours, svm, nn, dummy
    tasks: frozenset[str]
    build: Callable[[Context], Any]
    #: the module an optional rung needs (its extra must be installed), else None
    needs: str | None = None
    #: fitted on a random subsample of at most this many rows (stated in the results)
    max_rows: int | None = None
    #: Optuna search space: a trial in, pipeline parameters out (None: nothing worth tuning)
    space: Callable[[Any, Context], dict[str, Any]] | None = None
    #: whether the rung applies to this data at all (None: always, for its tasks)
    applies: Callable[[Context], bool] | None = None

    def missing(self) -> str:
        """Why the rung cannot run here ("needs torch, which is not installed: pip install
        'candor[nn]'"), or "" when what it needs is installed."""
        import importlib.util

        if self.needs is None or importlib.util.find_spec(self.needs) is not None:
            return ""
        extra = {"torch": "nn"}.get(self.needs)
        how = f": pip install 'candor[{extra}]'" if extra else ""
        return f"needs {self.needs}, which is not installed{how}"

    def label_for(self, task: str) -> str:
        """The rung's name in words for a task: ``"logistic regression|ridge"`` splits by task."""
        classification, _, regression = self.label.partition("|")
        return (regression or classification) if task == "regression" else classification


@contextlib.contextmanager
def quiet_fits() -> Iterator[None]:
    """Fits as candor runs them: an optimiser stopping at its iteration limit (the MLP's 300
    epochs) is not warned about on every fold; the cross-validated score says what it is worth."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


RUNGS: dict[str, Rung] = {}
CLASSIFICATION = frozenset({"binary", "multiclass"})
ALL_TASKS = frozenset({"binary", "multiclass", "regression"})


def rung(
    name: str,
    label: str,
    family: str,
    tasks: frozenset[str] = ALL_TASKS,
    needs: str | None = None,
    max_rows: int | None = None,
    space: Callable[[Any, Context], dict[str, Any]] | None = None,
    applies: Callable[[Context], bool] | None = None,
) -> Callable[[Callable[[Context], Any]], Callable[[Context], Any]]:
    """Register a rung builder under ``name`` (order of registration = order of cost)."""

    def register(build: Callable[[Context], Any]) -> Callable[[Context], Any]:
        RUNGS[name] = Rung(name, label, family, tasks, build, needs, max_rows, space, applies)
        return build

    return register


def preprocess(ctx: Context, *, scale: bool, one_hot: bool = True, impute: bool = True) -> Any:
    """Column preparation: median imputation with missing indicators, one-hot or ordinal codes."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    num_steps: list[Any] = []
    if impute:
        num_steps.append(SimpleImputer(strategy="median", add_indicator=True))
    if scale:
        num_steps.append(StandardScaler())
    cat_encoder = (
        OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=30, sparse_output=False)
        if one_hot
        else OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
        )
    )
    parts: list[tuple[str, Any, list[str]]] = []
    if ctx.numeric:
        parts.append(
            ("numeric", make_pipeline(*num_steps) if num_steps else "passthrough", ctx.numeric)
        )
    if ctx.categorical:
        cat = make_pipeline(SimpleImputer(strategy="constant", fill_value="(missing)"), cat_encoder)
        parts.append(("categorical", cat, ctx.categorical))
    return ColumnTransformer(parts, remainder="drop", verbose_feature_names_out=False)


def _pipe(ctx: Context, model: Any, **prep: bool) -> Any:
    from sklearn.pipeline import Pipeline

    return Pipeline([("prepare", preprocess(ctx, **prep)), ("model", model)])


def _clf(ctx: Context) -> bool:
    return ctx.task != "regression"


@rung("dummy", "always the class prior|always the mean", "dummy")
def _dummy(ctx: Context) -> Any:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    model = DummyClassifier(strategy="prior") if _clf(ctx) else DummyRegressor()
    return _pipe(ctx, model, scale=False)


def _linear_space(trial: Any, ctx: Context) -> dict[str, Any]:
    if ctx.task == "regression":
        return {"model__alphas": [trial.suggest_float("alpha", 1e-3, 1e3, log=True)]}
    return {"model__C": trial.suggest_float("C", 1e-3, 1e2, log=True)}


@rung("linear", "logistic regression|ridge regression", "linear", space=_linear_space)
def _linear(ctx: Context) -> Any:
    from sklearn.linear_model import LogisticRegression, RidgeCV

    model = LogisticRegression(max_iter=2000) if _clf(ctx) else RidgeCV()
    return _pipe(ctx, model, scale=True)


@rung("naive_bayes", "Gaussian naive Bayes", "linear", CLASSIFICATION)
def _naive_bayes(ctx: Context) -> Any:
    from sklearn.naive_bayes import GaussianNB

    return _pipe(ctx, GaussianNB(), scale=True)


def _knn_space(trial: Any, ctx: Context) -> dict[str, Any]:
    return {
        "model__n_neighbors": trial.suggest_int("n_neighbors", 1, 50, log=True),
        "model__weights": trial.suggest_categorical("weights", ["uniform", "distance"]),
    }


@rung("knn", "k nearest neighbours (k=15)", "neighbours", space=_knn_space)
def _knn(ctx: Context) -> Any:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsClassifier if _clf(ctx) else KNeighborsRegressor
    return _pipe(ctx, cls(n_neighbors=15, weights="distance"), scale=True)


@rung("svm_linear", "linear SVM", "svm")
def _svm_linear(ctx: Context) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC, LinearSVR

    if _clf(ctx):  # calibrated, so that it has probabilities like every other rung
        return _pipe(ctx, CalibratedClassifierCV(LinearSVC(), cv=2), scale=True)
    return _pipe(ctx, LinearSVR(max_iter=5000), scale=True)


def _svm_space(trial: Any, ctx: Context) -> dict[str, Any]:
    prefix = "model__estimator__" if ctx.task != "regression" else "model__"
    return {
        prefix + "C": trial.suggest_float("C", 1e-2, 1e3, log=True),
        prefix + "gamma": trial.suggest_float("gamma", 1e-4, 1.0, log=True),
    }


@rung("svm_rbf", "RBF SVM", "svm", max_rows=SVM_RBF_MAX_ROWS, space=_svm_space)
def _svm_rbf(ctx: Context) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import SVC, SVR

    model = CalibratedClassifierCV(SVC(), cv=3, ensemble=False) if _clf(ctx) else SVR()
    return _pipe(ctx, model, scale=True)


@rung("decision_tree", "decision tree", "tree")
def _tree(ctx: Context) -> Any:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    cls = DecisionTreeClassifier if _clf(ctx) else DecisionTreeRegressor
    return _pipe(ctx, cls(min_samples_leaf=5, random_state=ctx.seed), scale=False, one_hot=False)


def _forest_space(trial: Any, ctx: Context) -> dict[str, Any]:
    return {
        "model__max_features": trial.suggest_float("max_features", 0.1, 1.0),
        "model__min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 20, log=True),
    }


@rung("random_forest", "random forest (200 trees)", "ensemble", space=_forest_space)
def _forest(ctx: Context) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestClassifier if _clf(ctx) else RandomForestRegressor
    model = cls(n_estimators=200, min_samples_leaf=2, n_jobs=1, random_state=ctx.seed)
    return _pipe(ctx, model, scale=False, one_hot=False)


def _hist_gb_space(trial: Any, ctx: Context) -> dict[str, Any]:
    return {
        "model__learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "model__max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 4, 64, log=True),
        "model__min_samples_leaf": trial.suggest_int("min_samples_leaf", 2, 100, log=True),
        "model__l2_regularization": trial.suggest_float("l2_regularization", 1e-6, 10, log=True),
    }


@rung("hist_gb", "histogram gradient boosting", "ensemble", space=_hist_gb_space)
def _hist_gb(ctx: Context) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingClassifier if _clf(ctx) else HistGradientBoostingRegressor
    return _pipe(ctx, cls(random_state=ctx.seed), scale=False, one_hot=False, impute=False)


def _lightgbm_space(trial: Any, ctx: Context) -> dict[str, Any]:
    return {
        "model__num_leaves": trial.suggest_int("num_leaves", 4, 128, log=True),
        "model__learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "model__n_estimators": trial.suggest_int("n_estimators", 50, 600, log=True),
        "model__min_child_samples": trial.suggest_int("min_child_samples", 2, 100, log=True),
        "model__colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
        "model__reg_lambda": trial.suggest_float("reg_lambda", 1e-6, 10, log=True),
    }


@rung("lightgbm", "LightGBM", "ensemble", needs="lightgbm", space=_lightgbm_space)
def _lightgbm(ctx: Context) -> Any:
    import lightgbm as lgb

    cls = lgb.LGBMClassifier if _clf(ctx) else lgb.LGBMRegressor
    model = cls(n_estimators=300, learning_rate=0.05, n_jobs=1, random_state=ctx.seed, verbose=-1)
    return _pipe(ctx, model, scale=False, one_hot=False, impute=False)


def _xgboost_space(trial: Any, ctx: Context) -> dict[str, Any]:
    return {
        "model__max_depth": trial.suggest_int("max_depth", 2, 10),
        "model__learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "model__n_estimators": trial.suggest_int("n_estimators", 50, 600, log=True),
        "model__subsample": trial.suggest_float("subsample", 0.5, 1.0),
        "model__colsample_bytree": trial.suggest_float("colsample_bytree", 0.3, 1.0),
        "model__min_child_weight": trial.suggest_float("min_child_weight", 1e-2, 20, log=True),
    }


@rung("xgboost", "XGBoost", "ensemble", needs="xgboost", space=_xgboost_space)
def _xgboost(ctx: Context) -> Any:
    import xgboost as xgb

    cls = xgb.XGBClassifier if _clf(ctx) else xgb.XGBRegressor
    model = cls(
        n_estimators=300,
        learning_rate=0.1,
        max_depth=6,
        tree_method="hist",
        n_jobs=1,
        random_state=ctx.seed,
    )
    return _pipe(ctx, model, scale=False, one_hot=False, impute=False)


def _mlp_space(trial: Any, ctx: Context) -> dict[str, Any]:
    width = trial.suggest_int("width", 16, 256, log=True)
    return {
        "model__hidden_layer_sizes": (width,) * trial.suggest_int("layers", 1, 3),
        "model__alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        "model__learning_rate_init": trial.suggest_float(
            "learning_rate_init", 1e-4, 1e-2, log=True
        ),
    }


@rung("mlp", "multi-layer perceptron (scikit-learn)", "nn", space=_mlp_space)
def _mlp(ctx: Context) -> Any:
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    cls = MLPClassifier if _clf(ctx) else MLPRegressor
    model = cls(
        hidden_layer_sizes=(128, 64), early_stopping=True, max_iter=300, random_state=ctx.seed
    )
    return _pipe(ctx, model, scale=True)


@rung(
    "cnn",
    "small convolutional network (PyTorch)",
    "nn",
    CLASSIFICATION,
    needs="torch",
    applies=lambda ctx: ctx.image_shape is not None,
)
def _cnn(ctx: Context) -> Any:
    from candor.ladder._cnn import SmallCNN

    assert ctx.image_shape is not None
    return SmallCNN(image_shape=ctx.image_shape, random_state=ctx.seed)
