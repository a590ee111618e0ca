"""Model files in safe formats, and the predictor each one loads back into.

A registered model is stored in the format its family's own tools read, never a pickle unless the
user asks for one:

========================  ============================================================
format                    files
========================  ============================================================
``skops``                 ``model.skops`` (scikit-learn, with an explicit trusted-type list)
``skops+lightgbm``        ``prepare.skops`` (the pipeline's preprocessing) + ``model.lgb.txt``
``skops+xgboost``         ``prepare.skops`` + ``model.xgb.json``
``lightgbm``              ``model.lgb.txt`` (LightGBM's own text format)
``xgboost``               ``model.xgb.json`` (XGBoost's own JSON format)
``torch``                 ``model.pt`` (a ``state_dict`` read with ``weights_only=True``)
``pickle``                ``model.pkl``: only with ``allow_pickle=True``, on save and on load
========================  ============================================================

Classifiers are stored as candor fits them, on class codes 0..k-1; the manifest keeps the labels.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor._units import listing
from candor.errors import DataError

#: module prefixes a skops file may name; anything else is refused rather than trusted (loading
#: a type runs its code). LightGBM and XGBoost estimators are stored natively, not through skops.
SAFE_MODULES = (
    "sklearn.",
    "numpy.",
    "scipy.",
    "builtins.",
    "collections.",
    "_operator.",
    "operator.",
)
FORMATS = ("skops", "skops+lightgbm", "skops+xgboost", "lightgbm", "xgboost", "torch", "pickle")


class PickleRefused(DataError):
    """A model stored as a pickle was asked for without ``allow_pickle``."""


def _final(model: Any) -> tuple[Any, Any]:
    """A pipeline's preprocessing (or None) and its final estimator."""
    steps = getattr(model, "steps", None)
    if steps and len(steps) > 1:
        from sklearn.pipeline import Pipeline

        return Pipeline(steps[:-1]), steps[-1][1]
    if steps:
        return None, steps[-1][1]
    return None, model


def _family(est: Any) -> str | None:
    module = type(est).__module__.split(".")[0]
    if module == "lightgbm":
        return "lightgbm"
    if module == "xgboost":
        return "xgboost"
    return None


def _untrusted(data: bytes) -> list[str]:
    import skops.io as sio

    return list(sio.get_untrusted_types(data=data))


def _skops(model: Any) -> tuple[bytes, list[str]] | None:
    """The skops bytes and the types they name, or None when a type is outside the safe set."""
    import skops.io as sio

    try:
        data = sio.dumps(model)
    except Exception:  # skops cannot walk the object at all
        return None
    types = _untrusted(data)
    if any(not t.startswith(SAFE_MODULES) for t in types):
        return None
    return data, types


def save_model(
    model: Any, *, allow_pickle: bool = False
) -> tuple[str, dict[str, bytes], list[str]]:
    """The files that store ``model`` in the safest format its family has: (format, files by
    name, the skops types that loading must trust)."""
    if hasattr(model, "to_bytes") and hasattr(type(model), "from_bytes"):  # candor's CNN
        return "torch", {"model.pt": model.to_bytes()}, []
    prepare, final = _final(model)
    family = _family(final)
    if family is not None:
        files = {**_native(final, family)}
        if prepare is None:
            return family, files, []
        packed = _skops(prepare)
        if packed is not None:
            files["prepare.skops"] = packed[0]
            return f"skops+{family}", files, packed[1]
    else:
        packed = _skops(model)
        if packed is not None:
            return "skops", {"model.skops": packed[0]}, packed[1]
    if not allow_pickle:
        raise DataError(
            f"a {type(model).__name__} cannot be stored in a safe format (skops with scikit-learn "
            "types, LightGBM's or XGBoost's own format, or a torch state_dict). Register it with "
            "allow_pickle=True (--allow-pickle) to store a pickle, which runs code when loaded"
        )
    return "pickle", {"model.pkl": pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)}, []


def _native(est: Any, family: str) -> dict[str, bytes]:
    if family == "lightgbm":
        booster = est.booster_ if hasattr(est, "booster_") else est
        return {"model.lgb.txt": booster.model_to_string().encode()}
    booster = est.get_booster() if hasattr(est, "get_booster") else est
    return {"model.xgb.json": bytes(booster.save_raw("json"))}


@dataclass(frozen=True)
class Predictor:
    """A loaded model, asked in candor's terms: class probabilities over codes 0..k-1 in order, or
    regression values. ``native`` is what the family's own library loaded."""

    native: Any
    task: str
    n_classes: int
    _prepare: Any = None

    def _input(self, X: pd.DataFrame) -> Any:
        return X if self._prepare is None else self._prepare.transform(X)

    def values(self, X: pd.DataFrame) -> np.ndarray:
        """Regression predictions."""
        out = self.native.predict(self._booster_input(self._input(X)))
        return np.asarray(out, dtype=float).reshape(-1)

    def proba(self, X: pd.DataFrame) -> np.ndarray:
        """An (n, k) array of class probabilities, columns in code order."""
        Z = self._input(X)
        if _family(self.native) is not None and not hasattr(self.native, "predict_proba"):
            raw = np.asarray(self.native.predict(self._booster_input(Z)), dtype=float)
            if raw.ndim == 1:  # a binary booster gives the positive class only
                raw = np.column_stack([1.0 - raw, raw])
            return raw
        raw = np.asarray(self.native.predict_proba(Z), dtype=float)
        seen = getattr(self.native, "classes_", None)
        if seen is None or raw.shape[1] == self.n_classes:
            return raw
        # a model that never saw some code during fitting: its columns go where they belong
        out = np.zeros((len(raw), self.n_classes))
        out[:, np.asarray(seen, dtype=np.int64)] = raw
        return out

    def _booster_input(self, Z: Any) -> Any:
        if isinstance(Z, np.ndarray) and Z.dtype == object:
            # a preprocessing with text columns outputs objects; LightGBM would read them as
            # float32 and move a value near a split to the other branch
            Z = Z.astype(float)
        if type(self.native).__name__ == "Booster" and _family(self.native) == "xgboost":
            import xgboost

            return xgboost.DMatrix(Z)
        return Z


def load_model(
    folder: Path,
    fmt: str,
    *,
    task: str,
    n_classes: int,
    trusted: list[str],
    allow_pickle: bool = False,
) -> Predictor:
    """Read the files :func:`save_model` wrote (already checked against their checksums)."""
    if fmt not in FORMATS:
        raise DataError(f"unknown model format {fmt!r}; candor writes {', '.join(FORMATS)}")
    if fmt == "pickle" and not allow_pickle:
        raise PickleRefused(
            "this model is stored as a pickle, and loading a pickle runs whatever code it holds. "
            "Load it with allow_pickle=True only if you trust where it came from"
        )
    try:
        return _load(folder, fmt, task, n_classes, trusted)
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"could not load the {fmt} model in {folder}: {exc}") from exc


def _load(folder: Path, fmt: str, task: str, n_classes: int, trusted: list[str]) -> Predictor:
    if fmt == "torch":
        from candor.ladder._cnn import SmallCNN

        return Predictor(SmallCNN.from_bytes((folder / "model.pt").read_bytes()), task, n_classes)
    if fmt == "pickle":
        return Predictor(pickle.loads((folder / "model.pkl").read_bytes()), task, n_classes)
    prepare = None
    if fmt.startswith("skops"):
        name = "model.skops" if fmt == "skops" else "prepare.skops"
        loaded = _read_skops(folder / name, trusted)
        if fmt == "skops":
            return Predictor(loaded, task, n_classes)
        prepare = loaded
    family = fmt.split("+")[-1]
    if family == "lightgbm":
        import lightgbm

        booster = lightgbm.Booster(model_str=(folder / "model.lgb.txt").read_text())
        return Predictor(booster, task, n_classes, prepare)
    import xgboost

    est = xgboost.XGBRegressor() if task == "regression" else xgboost.XGBClassifier()
    est.load_model(bytearray((folder / "model.xgb.json").read_bytes()))
    return Predictor(est, task, n_classes, prepare)


def _read_skops(path: Path, trusted: list[str]) -> Any:
    import skops.io as sio

    data = path.read_bytes()
    needed = _untrusted(data)
    foreign = [t for t in needed if not t.startswith(SAFE_MODULES)]
    unexpected = [t for t in needed if t not in trusted]
    if foreign or unexpected:
        raise DataError(
            f"{path.name} names types outside the list recorded when it was registered: "
            f"{listing(foreign or unexpected)}; candor does not load them (loading a type runs its "
            "code). Check where the file came from"
        )
    return sio.loads(data, trusted=needed)
