"""Every error a user can cause, in one family.

Each class says what happened; each message says what was wrong and what to do next. The CLI prints
a ``CandorError`` without a traceback and exits with a non-zero code; errors from pandas, MLflow or
SQLAlchemy that a user can cause are translated into these where candor calls those libraries.
"""

from __future__ import annotations


class CandorError(Exception):
    """Base class: something the user can fix. The message says how."""

    exit_code = 2


# --- the project file -----------------------------------------------------------------------------
class ConfigError(CandorError):
    """candor.toml is missing, not valid TOML, or does not match the schema."""


# --- data -----------------------------------------------------------------------------------------
class DataError(CandorError):
    """The data cannot be used as given: missing file or column, empty table, one class, NaN..."""


class LeakageError(CandorError):
    """The audit found leakage severe enough to stop the job."""


# --- evaluation -----------------------------------------------------------------------------------
class MetricError(CandorError):
    """A metric was asked for that does not exist or does not apply to this task or input."""


# --- tracking and registry ------------------------------------------------------------------------
class TrackingError(CandorError):
    """MLflow tracking could not record or read a run."""


class ModelNotFound(CandorError):
    """No registered model, version or alias matches the name given."""


class GateFailed(CandorError):
    """A release gate blocked a promotion."""

    exit_code = 1


class ChecksumMismatch(CandorError):
    """A stored artifact does not match the checksum recorded when it was written."""


__all__ = [
    "CandorError",
    "ChecksumMismatch",
    "ConfigError",
    "DataError",
    "GateFailed",
    "LeakageError",
    "MetricError",
    "ModelNotFound",
    "TrackingError",
]
