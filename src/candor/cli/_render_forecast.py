"""The forecast in the terminal: a small plot of the curve and its band, a table, the sentence."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from candor.forecast import BacktestResult, ForecastResult, format_bytes, format_seconds
from candor.report._forecast_html import plot_range
from candor.stats import Estimate


def curve_plot(r: ForecastResult, width: int = 64, height: int = 12) -> Text:
    """A character plot on a log-rows axis: ``░`` the interval band, ``─`` the forecast, ``●`` the
    anchors' means, ``○`` anchors left out of the curve (on the bottom edge when below the axis,
    which follows the curve, not them), ``▲`` the forecasts at each scale, ``┊`` all the data at
    hand."""
    sizes = r.anchors.sizes.astype(float)
    right = max([r.n_rows] + [s.rows for s in r.at_scales])
    lx0, lx1 = math.log(sizes.min()), math.log(right)
    cols = np.exp(np.linspace(lx0, lx1, width))
    point, low, high = r.curve.predict(cols)
    means = np.nanmean(r.anchors.scores, axis=0)
    on_curve = r.on_curve
    y0, y1 = plot_range(point, low, high, means[on_curve])
    low, high = np.maximum(low, y0), np.minimum(high, y1)
    grid = [[" "] * width for _ in range(height)]

    def row(v: float) -> int:
        return min(max(round((y1 - v) / (y1 - y0) * (height - 1)), 0), height - 1)

    def col(n: float) -> int:
        return round((math.log(n) - lx0) / (lx1 - lx0) * (width - 1))

    # the curve is drawn only where it was fitted and beyond: anchors left out (a model that had not
    # started learning) are shown, but the curve does not pretend to pass through them
    fitted = cols >= float(r.curve.anchors.sizes.min()) * 0.999
    for j in np.flatnonzero(fitted):
        for i in range(row(high[j]), row(low[j]) + 1):
            grid[i][j] = "░"
    full = col(r.n_rows)
    for i in range(height):
        if grid[i][full] == " ":
            grid[i][full] = "┊"
    for j in np.flatnonzero(fitted):
        grid[row(point[j])][j] = "─"
    for n, m, used in zip(sizes, means, on_curve, strict=True):
        if np.isfinite(m):
            grid[row(m)][col(n)] = "●" if used else "○"
    for s in r.at_scales:
        grid[row(s.score.value)][col(s.rows)] = "▲"
    text = Text()
    for i, line in enumerate(grid):
        label = f"{y1 - i * (y1 - y0) / (height - 1):7.3f} " if i in (0, height - 1) else " " * 8
        text.append(label, style="dim")
        for ch in line:
            style = {
                "░": "blue",
                "─": "bold blue",
                "●": "bold",
                "○": "dim",
                "▲": "bold red",
                "┊": "dim",
            }.get(ch)
            text.append(ch, style=style or "")
        text.append("\n")
    axis = f"{int(sizes.min()):,} rows"
    end = f"{right:,} rows"
    text.append(" " * 8 + axis + " " * max(1, width - len(axis) - len(end)) + end + "\n", "dim")
    return text


def _range(e: Estimate | None, fmt: Callable[[float], str]) -> str:
    if e is None:
        return "not measured"
    return f"{fmt(e.value)} ({fmt(e.low)} to {fmt(e.high)})"


def _rung_label(name: str, task: str) -> str:
    from candor.ladder._rungs import RUNGS

    return f"{name} ({RUNGS[name].label_for(task)})" if name in RUNGS else name


def print_forecast(console: Console, r: ForecastResult) -> None:
    rung = _rung_label(r.rung, r.task)
    console.print(f"[bold]Learning curve: {escape(rung)}, {escape(r.metric_label)}[/bold]")
    console.print(curve_plot(r))
    left_out = not r.on_curve.all()
    console.print(
        "[dim]● anchors (mean of the repeats)  "
        + ("○ left out of the curve (on the bottom edge if below the axis)  " if left_out else "")
        + f"─ forecast  ░ {r.curve.level:.0%} interval  "
        "▲ forecasts at each scale  ┊ all the rows at hand[/dim]"
    )
    title = (
        f"Forecast: {rung}, {r.metric_label} ({r.curve.level:.0%} intervals; "
        f"n = {int(r.curve.anchors.repeats.sum())} fits at {len(r.curve.anchors.sizes)} anchors)"
    )
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for name in ("data", "rows", r.metric_label, "fit time", "peak memory", "note"):
        table.add_column(name, justify="right" if name == "rows" else "left")
    for label, s in [("all rows", r.at_full)] + [(f"{s.factor:g}x", s) for s in r.at_scales]:
        table.add_row(
            label,
            f"{s.rows:,}",
            s.score.format(),
            _range(s.fit_seconds, format_seconds),
            _range(s.peak_bytes, format_bytes),
            "; ".join(s.caveats),
        )
    table.add_row("plateau", "", r.plateau.format(), "", "", "")
    console.print(table)
    console.print(escape(r.sentence), highlight=False)
    for w in r.warnings:
        console.print(f"[yellow]note:[/yellow] {escape(w)}", highlight=False)
    methods = [r.curve.method] + [
        c.estimate(r.n_rows).method for c in (r.time_curve, r.memory_curve) if c is not None
    ]
    for method in methods:
        console.print(f"[dim]{escape(method)}[/dim]", highlight=False)


def print_backtest(console: Console, b: BacktestResult) -> None:
    table = Table(
        title=f"Backtest: {_rung_label(b.rung, b.task)}, forecasts from anchors up to "
        f"{b.used_rows:,} rows",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    for name in (
        "rows",
        f"measured ({b.curve.level:.0%})",
        f"forecast ({b.curve.level:.0%})",
        "error",
        "held",
        "last anchor's error",
        "fit time forecast",
        "fit time measured",
    ):
        table.add_column(name, justify="right")
    for p in b.points:
        table.add_row(
            f"{p.rows:,}",
            p.measured.format(),
            p.forecast.format(),
            f"{p.error:+.3f}",
            "yes" if p.covered else "[red]no[/red]",
            f"{p.last_anchor - p.truth:+.3f}",
            _range(p.fit_seconds, format_seconds),
            _range(p.measured_seconds, format_seconds),
        )
    console.print(table)
    mae, held = b.mean_absolute_error(), b.coverage()
    console.print(
        f"Over the {len(b.points)} hidden anchor(s): mean absolute error {mae.format()} "
        f"(bounds from the measured means' intervals); the {b.curve.level:.0%} interval held "
        f"{sum(p.covered for p in b.points)}/{len(b.points)} = {held.format(2)} (Wilson "
        f"{held.level:.0%}). The errors are against the measured mean: its own interval is in "
        "the measured column.",
        highlight=False,
    )
    last = b.points[-1].measured
    console.print(
        f"[dim]measured: the mean of the {last.n} fits at each size (cross-validation folds and "
        f"repeats), with its t interval; held: the forecast's {b.curve.level:.0%} interval holds "
        f"that mean; last anchor's error: quoting the largest visible anchor instead; fit times "
        f"in the same way. Forecast: {escape(b.curve.method)}[/dim]",
        highlight=False,
    )
    console.print(escape(b.sentence), highlight=False)
