"""Leakage and integrity audit: find a too-good-to-be-true split before any model is trained."""

from candor.audit import _leakage, _near_duplicates, _shift  # noqa: F401  (register their checks)
from candor.audit._checks import CHECKS, AuditInput, check
from candor.audit._findings import SEVERITIES, AuditReport, Finding
from candor.audit._run import audit

__all__ = ["CHECKS", "SEVERITIES", "AuditInput", "AuditReport", "Finding", "audit", "check"]
