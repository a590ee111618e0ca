"""The forecast as pictures: the learning curve with its band (SVG, matplotlib) and an HTML fragment
for the report to embed."""

from __future__ import annotations

from html import escape

import numpy as np

from candor.forecast import ForecastResult, format_bytes, format_seconds
from candor.report._figures import svg_of


def plot_range(
    point: np.ndarray, low: np.ndarray, high: np.ndarray, means: np.ndarray
) -> tuple[float, float]:
    """The score axis for a curve plot: the anchors on the curve (``means``), the forecast and its
    band, but never more than the data's own spread below them, so a wide far band cannot squash
    the anchors flat. Anchors left out of the curve are drawn on the axis's edge, not counted."""
    seen = np.concatenate([means[np.isfinite(means)], point[np.isfinite(point)]])
    lo_data, hi_data = float(seen.min()), float(max(seen.max(), np.nanmax(high)))
    span = max(hi_data - lo_data, 1e-3)
    y0 = min(lo_data, max(float(np.nanmin(low)), lo_data - span))
    if hi_data - y0 < 1e-9:
        return y0 - 0.01, hi_data + 0.01
    return y0, hi_data


def forecast_svg(r: ForecastResult, width_in: float = 6.4, height_in: float = 3.6) -> str:
    """The anchors (mean and spread of the repeats), the combined curve and its interval band out to
    the largest scale, and markers at all the data and at each scale. A self-contained SVG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    sizes = r.anchors.sizes.astype(float)
    ends = [r.n_rows] + [s.rows for s in r.at_scales]
    # the curve from its own smallest anchor: anchors left out as warm-up are shown, not fitted
    grid = np.geomspace(float(r.curve.anchors.sizes.min()), max(ends), 120)
    point, low, high = r.curve.predict(grid)
    mean = np.nanmean(r.anchors.scores, axis=0)
    lo_obs = np.nanmin(r.anchors.scores, axis=0)
    hi_obs = np.nanmax(r.anchors.scores, axis=0)
    used = r.on_curve
    y_min, y_max = plot_range(point, low, high, mean[used])
    pad = 0.03 * (y_max - y_min)
    fig, ax = plt.subplots(figsize=(width_in, height_in))
    try:
        ax.fill_between(
            grid,
            low,
            high,
            color="#1f77b4",
            alpha=0.18,
            lw=0,
            label=f"{r.curve.level:.0%} interval",
        )
        ax.plot(grid, point, color="#1f77b4", lw=1.8, label="forecast")
        if (~used).any():  # warm-up anchors: hollow, on the bottom edge when below the axis
            below = mean[~used] < y_min - pad
            ax.scatter(
                sizes[~used],
                np.where(below, y_min - pad, mean[~used]),
                marker="o",
                facecolors="none",
                edgecolors="#888",
                s=18,
                clip_on=False,
                label="left out of the curve"
                + (f" (below the axis: {np.nanmin(mean[~used]):.3g})" if below.any() else ""),
            )
        ax.errorbar(
            sizes[used],
            mean[used],
            yerr=[mean[used] - lo_obs[used], hi_obs[used] - mean[used]],
            fmt="o",
            color="#222",
            ms=4,
            capsize=2,
            lw=0.8,
            label="anchors (range of repeats)",
        )
        ax.axvline(r.n_rows, color="#888", ls="--", lw=0.8)
        ax.annotate(
            "all rows",
            (r.n_rows, y_min),
            fontsize=7,
            color="#555",
            xytext=(2, 2),
            textcoords="offset points",
        )
        for s in r.at_scales:
            ax.errorbar(
                [s.rows],
                [s.score.value],
                yerr=[[s.score.value - s.score.low], [s.score.high - s.score.value]],
                fmt="s",
                color="#d62728",
                ms=4,
                capsize=2,
                lw=0.8,
            )
            ax.annotate(
                f"{s.factor:g}x",
                (s.rows, s.score.value),
                fontsize=7,
                color="#d62728",
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_xscale("log")
        ax.set_xlabel("training rows")
        ax.set_ylabel(r.metric_label)
        ax.set_ylim(y_min - pad, y_max + pad)
        ax.set_title(f"Learning curve: {r.rung}", fontsize=10)
        ax.grid(alpha=0.3, which="both", lw=0.5)
        ax.legend(fontsize=7, loc="lower right")
    except BaseException:
        plt.close(fig)
        raise
    return svg_of(fig)  # inline, text as text, ids unique to this drawing; closes the figure


def forecast_html(r: ForecastResult) -> str:
    """A ``<section>`` with the sentence, the plot and a table of forecasts; no scripts, no links."""
    rows = []
    for label, s in [("all rows", r.at_full)] + [(f"{s.factor:g}x", s) for s in r.at_scales]:
        t = (
            ""
            if s.fit_seconds is None
            else (
                f"{format_seconds(s.fit_seconds.value)} ({format_seconds(s.fit_seconds.low)} to "
                f"{format_seconds(s.fit_seconds.high)})"
            )
        )
        m = (
            ""
            if s.peak_bytes is None
            else (
                f"{format_bytes(s.peak_bytes.value)} ({format_bytes(s.peak_bytes.low)} to "
                f"{format_bytes(s.peak_bytes.high)})"
            )
        )
        rows.append(
            f"<tr><td>{escape(label)}</td><td>{s.rows:,}</td><td>{escape(s.score.format())}</td>"
            f"<td>{escape(t)}</td><td>{escape(m)}</td></tr>"
        )
    warnings = "".join(f"<li>{escape(w)}</li>" for w in r.warnings)
    return (
        '<section class="candor-forecast">'
        f"<h2>Forecast: {escape(r.rung)}</h2>"
        f"<p>{escape(r.sentence)}</p>"
        f"<figure>{forecast_svg(r)}</figure>"
        '<table style="border-collapse:collapse" border="1" cellpadding="4">'
        f"<thead><tr><th>data</th><th>rows</th><th>{escape(r.metric_label)} "
        f"({r.curve.level:.0%} interval)</th><th>fit time</th><th>peak memory</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        + (f"<ul>{warnings}</ul>" if warnings else "")
        + f"<p><small>{escape(r.curve.method)}</small></p></section>"
    )
