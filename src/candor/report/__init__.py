"""Presentation for people: HTML fragments now, the self-contained report later."""

from candor.report._audit_html import audit_html
from candor.report._forecast_html import forecast_html, forecast_svg
from candor.report._size_html import size_html

__all__ = ["audit_html", "forecast_html", "forecast_svg", "size_html"]
