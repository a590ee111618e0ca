"""Learning-curve and training-cost forecasts with margins: how good will it get, how long will it
take, how much memory will it need. ``candor.forecast(X, y, rung=...)`` is ``forecast``."""

from candor._callable import make_callable
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


make_callable(__name__, forecast)
