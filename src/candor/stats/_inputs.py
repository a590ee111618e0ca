"""Validating and encoding predictions before any metric sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from candor._task import TASKS, Task, infer_task
from candor.errors import MetricError


@dataclass(frozen=True)
class Predictions:
    """Predictions on ``n`` rows, encoded for the metrics.

    For classification ``y`` and ``pred`` are class indices into ``classes`` and ``score`` is
    (n, K) class probabilities (or None); for regression ``y`` and ``pred`` are floats.
    """

    task: Task
    y: np.ndarray
    pred: np.ndarray | None
    score: np.ndarray | None
    classes: tuple[Any, ...]

    @property
    def n(self) -> int:
        return int(self.y.shape[0])

    @property
    def n_classes(self) -> int:
        return len(self.classes)


def _as_1d(name: str, values: Any) -> np.ndarray:
    arr = values.to_numpy() if isinstance(values, pd.Series | pd.Index) else np.asarray(values)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise MetricError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _missing(arr: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(arr))


def prepare_predictions(
    y_true: Any,
    y_pred: Any = None,
    y_score: Any = None,
    task: str | None = None,
    classes: tuple[Any, ...] | None = None,
) -> Predictions:
    """Check lengths, missing values and types, infer the task, and encode classes.

    ``classes`` fixes the class order (two models compared on the same rows must share it).
    """
    y = _as_1d("y_true", y_true)
    if y.shape[0] == 0:
        raise MetricError("there are no rows to evaluate: y_true is empty")
    if _missing(y).any():
        raise MetricError(
            f"y_true has {int(_missing(y).sum())} missing values; drop those rows or fill the target"
        )
    if y_pred is None and y_score is None:
        raise MetricError(
            "give predictions: y_pred (labels or values), y_score (probabilities), or both"
        )
    pred = None if y_pred is None else _as_1d("y_pred", y_pred)
    if pred is not None:
        if pred.shape[0] != y.shape[0]:
            raise MetricError(f"y_pred has {pred.shape[0]} rows but y_true has {y.shape[0]}")
        if _missing(pred).any():
            raise MetricError(
                f"y_pred has {int(_missing(pred).sum())} missing values; every row needs a prediction"
            )
    if task is None:
        task = infer_task(y)
    if task not in TASKS:
        raise MetricError(f"unknown task {task!r}, expected one of {', '.join(TASKS)}")
    if task == "regression":
        return _regression(y, pred, y_score)
    return _classification(task, y, pred, y_score, classes)


def _regression(y: np.ndarray, pred: np.ndarray | None, y_score: Any) -> Predictions:
    if pred is None:
        raise MetricError("a regression evaluation needs y_pred (predicted values)")
    if y_score is not None:
        raise MetricError("y_score (probabilities) does not apply to regression; pass y_pred only")
    try:
        yf, pf = y.astype(float), pred.astype(float)
    except (TypeError, ValueError) as exc:
        raise MetricError(f"regression targets and predictions must be numbers: {exc}") from exc
    if not (np.isfinite(yf).all() and np.isfinite(pf).all()):
        raise MetricError("regression targets and predictions must be finite (no inf)")
    return Predictions("regression", yf, pf, None, ())


def class_order(*label_arrays: Any) -> tuple[Any, ...]:
    """Sorted distinct labels over all arrays given (None entries are skipped)."""
    arrays = [np.asarray(a) for a in label_arrays if a is not None]
    labels = pd.unique(np.concatenate(arrays)).tolist()
    try:
        return tuple(sorted(labels))
    except TypeError:
        return tuple(sorted(labels, key=str))


def _classification(
    task: Task,
    y: np.ndarray,
    pred: np.ndarray | None,
    y_score: Any,
    classes: tuple[Any, ...] | None,
) -> Predictions:
    if classes is None:
        classes = class_order(y, pred)
    else:
        unknown = set(class_order(y, pred)) - set(classes)
        if unknown:
            raise MetricError(
                f"labels {sorted(map(str, unknown))} are not among classes {list(classes)}"
            )
    score = None
    if y_score is not None:
        score = np.asarray(y_score.to_numpy() if hasattr(y_score, "to_numpy") else y_score)
        try:
            score = score.astype(float)
        except (TypeError, ValueError) as exc:
            raise MetricError(f"y_score must hold probabilities (numbers): {exc}") from exc
        if score.shape[0] != y.shape[0]:
            raise MetricError(f"y_score has {score.shape[0]} rows but y_true has {y.shape[0]}")
        if not np.isfinite(score).all():
            raise MetricError("y_score has missing or infinite values; every row needs a score")
        if score.ndim == 1:
            score = np.column_stack([1 - score, score])
        if task == "binary" and len(classes) < 2 and score.shape[1] == 2:
            pass
        elif score.shape[1] != max(len(classes), 2):
            raise MetricError(
                f"y_score has {score.shape[1]} columns but there are {len(classes)} classes "
                f"{list(classes)}; give one probability column per class, in sorted class order"
            )
    if task == "binary" and len(classes) > 2:
        raise MetricError(
            f"task is binary but there are {len(classes)} classes: {list(classes)[:10]}; "
            "use task='multiclass'"
        )
    yi = pd.Categorical(y, categories=list(classes)).codes.astype(np.int64)
    pi = None
    if pred is not None:
        pi = pd.Categorical(pred, categories=list(classes)).codes.astype(np.int64)
    elif score is not None:
        pi = np.argmax(score, axis=1).astype(np.int64)
    return Predictions(task, yi, pi, score, classes)
