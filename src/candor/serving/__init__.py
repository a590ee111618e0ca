"""Serving with a feedback loop: ``candor serve``'s app, its durable prediction log, the routing
rules that send doubtful predictions to people, the review queue and the KPIs."""

from candor.serving._app import ServedModel, Serving, create_app
from candor.serving._kpis import KpiPeriod, Kpis, compute_kpis
from candor.serving._log import LogError, PredictionLog, PredictionRecord
from candor.serving._review import (
    QueueItem,
    ReviewAction,
    ReviewError,
    ReviewQueue,
    log_kpis,
    parse_label,
)
from candor.serving._reviewers import Reviewers
from candor.serving._routing import RoutingRules, route_reasons
from candor.serving._server import build_app, serve

__all__ = [
    "KpiPeriod",
    "Kpis",
    "LogError",
    "PredictionLog",
    "PredictionRecord",
    "QueueItem",
    "ReviewAction",
    "ReviewError",
    "ReviewQueue",
    "Reviewers",
    "RoutingRules",
    "ServedModel",
    "Serving",
    "build_app",
    "compute_kpis",
    "create_app",
    "log_kpis",
    "parse_label",
    "route_reasons",
    "serve",
]
