"""Task inference: what kind of supervised task a target's values describe."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from candor._task import MAX_CLASSES_FOR_INTEGERS, infer_task


@pytest.mark.parametrize(
    ("values", "task"),
    [
        ([0, 1, 1, 0], "binary"),
        ([0.0, 1.0, 1.0, 0.0], "binary"),
        ([True, False, True], "binary"),
        (["yes", "no", "no"], "binary"),
        (["setosa", "versicolor", "virginica"], "multiclass"),
        ([0, 1, 2, 2, 1], "multiclass"),
        ([1.0, 2.0, 3.0], "multiclass"),
        ([0.5, 1.25, 3.0], "regression"),
        ([0.5, 1.5], "regression"),
    ],
    ids=[
        "int-0-1",
        "float-0-1",
        "bool",
        "string-two-labels",
        "string-three-labels",
        "int-three-values",
        "integral-floats",
        "fractional-floats",
        "two-fractional-floats",
    ],
)
def test_infer_task_from_values(values: list[Any], task: str) -> None:
    assert infer_task(pd.Series(values)) == task
    assert infer_task(np.asarray(values)) == task


def test_integers_are_classes_up_to_the_limit_and_regression_above_it() -> None:
    assert infer_task(np.arange(MAX_CLASSES_FOR_INTEGERS)) == "multiclass"
    assert infer_task(np.arange(MAX_CLASSES_FOR_INTEGERS + 1)) == "regression"
    assert infer_task(np.arange(500)) == "regression"


def test_missing_values_do_not_change_the_task() -> None:
    assert infer_task(pd.Series([0.0, 1.0, np.nan, 1.0])) == "binary"
    assert infer_task(pd.Series(["a", None, "b", "c"])) == "multiclass"


def test_categorical_labels_are_classes() -> None:
    assert infer_task(pd.Series(["lo", "mid", "hi", "lo"], dtype="category")) == "multiclass"
