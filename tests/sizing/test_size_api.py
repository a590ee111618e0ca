"""``candor.size(model, X)`` from Python, without measuring (fast): estimate, what-if, data memory,
placement and the HTML fragment."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier

import candor
from candor.errors import DataError
from candor.report import size_html
from candor.sizing import Placement, WhatIf


def _fitted() -> tuple[RandomForestClassifier, pd.DataFrame]:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y), X


def test_size_estimates_prices_and_renders_without_measuring() -> None:
    model, X = _fitted()
    r = candor.size(model, X, name="forest", measure_it=False, what=WhatIf(rows=1_000_000))
    assert r.measurement is None and r.check is None
    assert r.estimate.family == "ensemble" and r.file_bytes > 0
    assert r.scenario is not None and r.scenario.dominant.name == "trees"
    assert r.data is not None and r.data_rows == 1_000_000
    pandas_bytes, arrow_bytes = r.data.at(1_000_000)
    assert pandas_bytes == 1_000_000 * 30 * 8 and arrow_bytes == pandas_bytes
    assert isinstance(r.placement, Placement) and r.placement.monthly_usd > 0
    assert "assumed interpreter" in r.worker_method
    html = size_html(r)
    assert html.startswith('<section class="candor-size">') and "<script" not in html
    assert "What if: 1,000,000 training rows" in html and "Cheapest home" in html


def test_python_object_strings_cost_more_in_pandas_than_in_arrow() -> None:
    from candor.sizing import data_memory

    cities = pd.Series(["Lisbon", "Porto", "Faro"] * 100, dtype=object)
    frame = pd.DataFrame({"city": cities, "n": range(300)})
    dm = data_memory(frame)
    city = next(c for c in dm.columns if c.name == "city")
    assert city.pandas_bytes_per_row > city.arrow_bytes_per_row  # type: ignore[operator]
    with pytest.raises(DataError, match="no rows"):
        data_memory(frame.iloc[:0])


def test_size_refuses_an_empty_sample() -> None:
    model, X = _fitted()
    with pytest.raises(DataError, match="no rows to predict"):
        candor.size(model, X.iloc[:0], measure_it=False)
