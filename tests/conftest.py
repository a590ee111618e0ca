"""Shared test set-up: no telemetry, and MLflow never writes outside a test's temporary folder."""

from __future__ import annotations

import os

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ.pop("MLFLOW_TRACKING_URI", None)

# two pytest-xdist workers on two cores: OpenMP pools (HistGradientBoosting) would oversubscribe
# the cores and spin-wait, running several times slower
os.environ.setdefault("OMP_NUM_THREADS", "1")
