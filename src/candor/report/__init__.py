"""Presentation for people: HTML fragments now, the self-contained report later."""

from candor.report._audit_html import audit_html

__all__ = ["audit_html"]
