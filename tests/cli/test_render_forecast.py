"""The forecast drawn for people: the terminal plot and the SVG keep every anchor on the axis, even
the warm-up anchors left out of the curve (a booster that scores AUC 0.5 on 25 rows)."""

from __future__ import annotations

import numpy as np
import pytest
from rich.console import Console
from sklearn.datasets import load_breast_cancer

from candor.cli._render_forecast import curve_plot, print_forecast
from candor.forecast import ForecastResult, forecast
from candor.report import forecast_html, forecast_svg
from candor.report._forecast_html import plot_range
from tests._subprocess import flat as _flat


@pytest.fixture(scope="module")
def warmed_up() -> ForecastResult:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    result = forecast(X, y, rung="hist_gb", scales=[10])
    # the premise: hist_gb learns nothing on its first anchors, which the curve leaves out
    assert len(result.curve.anchors.sizes) < len(result.anchors.sizes)
    assert any("had not started learning" in w for w in result.warnings)
    return result


def test_plot_range_keeps_anchors_below_the_band_on_the_axis() -> None:
    point = np.array([0.9, 0.95])
    low, high = np.array([0.85, 0.9]), np.array([0.95, 0.99])
    y0, y1 = plot_range(point, low, high, np.array([0.5, 0.9, 0.95]))
    assert y0 <= 0.5 and y1 >= 0.99


def test_terminal_plot_draws_every_anchor_including_warm_up(warmed_up: ForecastResult) -> None:
    text = curve_plot(warmed_up).plain
    means = np.nanmean(warmed_up.anchors.scores, axis=0)
    # anchors may share a cell; at least one per distinct column, and none lost off the grid
    left_out = len(means) - len(warmed_up.curve.anchors.sizes)
    assert 1 <= text.count("●") <= len(means) - left_out
    assert 1 <= text.count("○") <= left_out
    assert text.count("▲") == 1
    # the axis follows the curve, not the anchors left out: they sit on its bottom edge
    bottom_row = text.splitlines()[11]  # the grid's last row (12 rows high); the rows axis below
    assert "○" in bottom_row
    bottom = float(bottom_row.split()[0])
    assert bottom > float(np.nanmean(warmed_up.anchors.scores[:, 0]))
    console = Console(width=160, record=True)
    print_forecast(console, warmed_up)
    out = console.export_text()
    assert "Learning curve: hist_gb (histogram gradient boosting)" in out
    assert "n = " in out and "fits at" in out
    assert "○ left out of the curve (on the bottom edge if below the axis)" in _flat(out)


def test_svg_and_html_fragment_are_self_contained(warmed_up: ForecastResult) -> None:
    svg = forecast_svg(warmed_up)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    html = forecast_html(warmed_up)
    assert "<script" not in html
    assert "https://" not in html and "src=" not in html
    assert warmed_up.sentence.split(".")[0][:40] in html
