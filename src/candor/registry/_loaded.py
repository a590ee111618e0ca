"""``candor.load``'s result: one object for every model family, speaking in labels."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor._units import listing
from candor.errors import DataError
from candor.registry._formats import Predictor, load_model
from candor.registry._novelty import NOVELTY_FILE, NoveltyProfile
from candor.registry._package import Feature, Manifest, read_manifest


def input_frame(X: Any, features: list[Feature]) -> pd.DataFrame:
    """The model's input columns, in training order and dtype, from a DataFrame, a dict (one
    row), a list of dicts, or a 2-D array in column order. Extra columns are left out; a missing
    column or a value that cannot have its column's type is a ``DataError`` naming it."""
    names = [f.name for f in features]
    if isinstance(X, dict):
        X = [X]
    if isinstance(X, pd.Series):
        frame = X.to_frame().T
    elif isinstance(X, pd.DataFrame):
        frame = X
    elif isinstance(X, list) and X and all(isinstance(r, dict) for r in X):
        frame = pd.DataFrame.from_records(X)
    else:
        arr = np.asarray(X, dtype=object)
        if arr.ndim == 1 and len(names) > 1 and arr.shape[0] == len(names):
            arr = arr.reshape(1, -1)
        if arr.ndim != 2 or arr.shape[1] != len(names):
            raise DataError(
                f"the model takes {len(names)} columns ({listing(names)}); got an array of shape "
                f"{arr.shape}. Pass a DataFrame or records with these column names"
            )
        frame = pd.DataFrame(arr, columns=names)
    if len(frame) == 0:
        raise DataError("no rows to predict: pass at least one row")
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise DataError(
            f"the input lacks {len(missing)} of the model's {len(names)} columns: "
            f"{listing(missing)}. Pass every column the model was trained on"
        )
    out = frame[names].copy()
    # the usual case when serving (every column already float64 where training saw floats, no
    # infinity): nothing to convert, and the per-column loop below costs ~14 ms at 30 columns
    if (
        all(
            f.numeric and f.dtype.startswith("float") and dt == np.float64
            for f, dt in zip(features, out.dtypes, strict=True)
        )
        and not np.isinf(out.to_numpy()).any()
    ):
        return out
    for f in features:
        if not f.numeric:
            out[f.name] = out[f.name].astype(object)
            continue
        try:
            col = pd.to_numeric(out[f.name], errors="raise")
        except (ValueError, TypeError) as exc:
            bad = next(
                (
                    v
                    for v in out[f.name]
                    if pd.to_numeric(pd.Series([v]), errors="coerce").isna()[0]
                ),
                None,
            )
            raise DataError(
                f"column {f.name!r} must be numeric (training saw {f.dtype}); got {bad!r}"
            ) from exc
        if np.isinf(col.to_numpy(dtype=float, na_value=np.nan)).any():
            raise DataError(
                f"column {f.name!r} holds an infinite value; give a finite number, or leave it "
                "empty for missing"
            )
        if f.dtype.startswith("float") or col.isna().any():
            out[f.name] = col.astype(float)
        else:
            out[f.name] = (
                col.astype(np.dtype(f.dtype)) if f.dtype in ("int64", "int32", "bool") else col
            )
    return out


class LoadedModel:
    """A registered model, loaded and checked: ``predict`` gives labels (or values),
    ``predict_proba`` class probabilities in the order of ``classes`` (classifiers only).

    The same object whatever the family (scikit-learn, LightGBM, XGBoost, torch), with its input
    schema (``features``) and its ``lineage`` (the version's tags: dataset hash, audit verdict,
    evaluation, run, commit, environment).
    """

    def __init__(
        self,
        predictor: Predictor,
        manifest: Manifest,
        *,
        name: str = "",
        version: str = "",
        alias: str | None = None,
        lineage: dict[str, str] | None = None,
        novelty: NoveltyProfile | None = None,
    ) -> None:
        self._predictor = predictor
        self.manifest = manifest
        self.name = name
        self.version = version
        self.alias = alias
        self.lineage = dict(lineage or {})
        #: the training rows' novelty profile (None for a model registered without one)
        self.novelty = novelty
        self._onnx: bytes | None = None
        self._engine: Any = None
        #: which engine registration chose for serving, and why
        self.engine_note: dict[str, str] = {
            "engine": "native",
            "why": "loaded from memory, not from a registered folder",
        }

    @classmethod
    def from_folder(
        cls,
        folder: Path,
        manifest: Manifest | None = None,
        *,
        allow_pickle: bool = False,
        **kw: Any,
    ) -> LoadedModel:
        """Load the safe-format files in ``folder`` (checksums are the caller's job)."""
        manifest = manifest or read_manifest(folder)
        predictor = load_model(
            folder,
            manifest.format,
            task=manifest.task,
            n_classes=len(manifest.classes),
            trusted=manifest.trusted_types,
            allow_pickle=allow_pickle,
        )
        profile = folder / NOVELTY_FILE
        if profile.is_file() and "novelty" not in kw:
            kw["novelty"] = NoveltyProfile.from_dict(json.loads(profile.read_bytes()))
        from candor.registry._engine import SERVING_ONNX, read_engine_note

        loaded = cls(predictor, manifest, **kw)
        # read now: the folder is often a download that is deleted once the model has loaded
        export = folder / SERVING_ONNX
        loaded._onnx = export.read_bytes() if export.is_file() else None
        loaded.engine_note = read_engine_note(folder)
        return loaded

    @property
    def engine(self) -> Any:
        """The checked ONNX export ``candor serve`` runs (an ``OnnxEngine``), or None where the
        model is served by its own library (or ONNX Runtime is not installed); the session is
        made on first use."""
        if self._engine is None:
            from candor.registry._engine import OnnxEngine

            found = None
            if self._onnx is not None:
                found = OnnxEngine.load(self._onnx)
            self._engine = found if found is not None else False
        return self._engine or None

    # -- what it is ------------------------------------------------------------------------------
    @property
    def task(self) -> str:
        return self.manifest.task

    @property
    def classes(self) -> list[Any]:
        """Class labels, in the order of ``predict_proba``'s columns (empty for regression)."""
        return list(self.manifest.classes)

    @property
    def features(self) -> list[Feature]:
        """The input schema: each column's name and its dtype in training."""
        return list(self.manifest.features)

    @property
    def input_schema(self) -> list[dict[str, str]]:
        return [f.to_dict() for f in self.manifest.features]

    @property
    def format(self) -> str:
        """How the model is stored (``skops``, ``skops+lightgbm``, ``torch``...)."""
        return self.manifest.format

    @property
    def model(self) -> Any:
        """What the family's own library loaded (a scikit-learn pipeline, a LightGBM Booster...)."""
        return self._predictor.native

    @property
    def dataset_hash(self) -> str | None:
        return self.lineage.get("candor.dataset_hash")

    def __repr__(self) -> str:
        where = f"{self.name} v{self.version}" if self.name else "a candor model"
        alias = f" (@{self.alias})" if self.alias else ""
        return (
            f"<LoadedModel {where}{alias}: {self.task}, {len(self.features)} inputs, {self.format}>"
        )

    # -- what it does ----------------------------------------------------------------------------
    def predict(self, X: Any) -> np.ndarray:
        """Labels for classifiers, values for regressors."""
        frame = input_frame(X, self.manifest.features)
        if self.task == "regression":
            return self._predictor.values(frame)
        codes = np.argmax(self._predictor.proba(frame), axis=1)
        return np.asarray(self.manifest.classes, dtype=object)[codes].astype(
            _label_dtype(self.manifest.classes)
        )

    @property
    def predict_proba(self) -> Callable[[Any], np.ndarray]:
        """Class probabilities, one column per label in ``classes``; absent for regressors (so
        ``hasattr(model, "predict_proba")`` tells them apart, as in scikit-learn)."""
        if self.task == "regression":
            raise AttributeError("a regression model has no predict_proba: use predict")

        def predict_proba(X: Any) -> np.ndarray:
            return self._predictor.proba(input_frame(X, self.manifest.features))

        return predict_proba


def _label_dtype(classes: list[Any]) -> Any:
    if all(isinstance(c, bool) for c in classes):
        return bool
    if all(isinstance(c, int) for c in classes):
        return np.int64
    if all(isinstance(c, (int, float)) for c in classes):
        return float
    return object
