"""Learning-curve and training-cost forecasts with margins: how good will it get, how long will it
take, how much memory will it need. ``candor.forecast(X, y, rung=...)`` is ``forecast``."""

import sys
import types
from typing import Any

from candor.forecast._costs import CostCurve, fit_cost_curve
from candor.forecast._curve import LearningCurve, RowsNeeded, fit_learning_curve
from candor.forecast._families import FAMILIES, Family, family
from candor.forecast._run import (
    AnchorRun,
    BacktestResult,
    ForecastResult,
    ScaleForecast,
    backtest,
    forecast,
    format_bytes,
    format_seconds,
)

__all__ = [
    "FAMILIES",
    "AnchorRun",
    "BacktestResult",
    "CostCurve",
    "Family",
    "ForecastResult",
    "LearningCurve",
    "RowsNeeded",
    "ScaleForecast",
    "backtest",
    "family",
    "fit_cost_curve",
    "fit_learning_curve",
    "forecast",
    "format_bytes",
    "format_seconds",
]


class _CallableModule(types.ModuleType):
    """``candor.forecast(X, y, rung=...)`` forecasts; the module's names stay reachable."""

    def __call__(self, *args: Any, **kwargs: Any) -> ForecastResult:
        return forecast(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
