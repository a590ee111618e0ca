"""Serving with a feedback loop (in progress): ``candor serve``'s app, its durable prediction log."""

from candor.serving._app import ServedModel, create_app
from candor.serving._log import LogError, PredictionLog, PredictionRecord
from candor.serving._server import build_app, serve

__all__ = [
    "LogError",
    "PredictionLog",
    "PredictionRecord",
    "ServedModel",
    "build_app",
    "create_app",
    "serve",
]
