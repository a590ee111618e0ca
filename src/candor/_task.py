"""What kind of supervised task a target describes: binary, multiclass or regression."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

Task = Literal["binary", "multiclass", "regression"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")

#: an integer-valued target with at most this many distinct values is read as classes
MAX_CLASSES_FOR_INTEGERS = 20


def infer_task(y: pd.Series | np.ndarray) -> Task:
    """Infer the task from a target's values.

    Strings, booleans and categories are classes; floats with a fractional part are regression;
    integers are classes when there are at most ``MAX_CLASSES_FOR_INTEGERS`` distinct values.

    >>> infer_task(np.array([0, 1, 1, 0]))
    'binary'
    >>> infer_task(np.array([0.5, 1.25, 3.0]))
    'regression'
    """
    s = pd.Series(np.asarray(y) if not isinstance(y, pd.Series) else y).dropna()
    n_unique = int(s.nunique())
    if n_unique <= 2 and not (pd.api.types.is_float_dtype(s) and not _integral(s)):
        return "binary"
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        return "multiclass" if n_unique > 2 else "binary"
    if pd.api.types.is_float_dtype(s) and not _integral(s):
        return "regression"
    return "multiclass" if n_unique <= MAX_CLASSES_FOR_INTEGERS else "regression"


def _integral(s: pd.Series) -> bool:
    values = s.to_numpy(dtype=float)
    return bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))
