"""Serving with a feedback loop (in progress): the durable prediction log comes first."""

from candor.serving._log import LogError, PredictionLog, PredictionRecord

__all__ = ["LogError", "PredictionLog", "PredictionRecord"]
