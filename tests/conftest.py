"""Shared test set-up: no telemetry, and MLflow never writes outside a test's temporary folder."""

from __future__ import annotations

import os

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.pop("MLFLOW_TRACKING_URI", None)
