"""The ``candor`` command line: thin. Parse, call one library function, render."""

from candor.cli import _registry  # noqa: F401  (adds register, promote, ... to the app)

# isort: split
from candor.cli import _feedback  # noqa: F401  (then feedback export, retrain, kpis)
from candor.cli._app import app, main

# isort: split
from candor.cli import _report  # noqa: F401  (then report)

__all__ = ["app", "main"]
