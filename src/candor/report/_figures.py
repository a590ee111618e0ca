"""The report's pictures: matplotlib figures drawn to inline SVG (no fonts, scripts or links out).

One library for every plot (matplotlib, Agg backend). Text stays text (``svg.fonttype = "none"``),
so the file is small and the browser draws it in a local sans-serif face; nothing is fetched.
Each function takes plain arrays and returns an SVG string; the captions with n and method are
written by the sections that embed them.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from candor.stats import Estimate

BLUE, RED, GREY = "#1f77b4", "#d62728", "#555555"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def svg_of(fig: Any) -> str:
    """The figure as an inline ``<svg>`` (no XML prolog, no doctype), and the figure closed."""
    plt = _plt()
    try:
        if fig.get_layout_engine() is None:  # a constrained layout has placed things already
            fig.tight_layout()
        buf = io.StringIO()
        with plt.rc_context({"svg.fonttype": "none"}):
            fig.savefig(
                buf,
                format="svg",
                metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
            )
    finally:
        plt.close(fig)
    text = buf.getvalue()
    return unique_ids(text[text.index("<svg") :])


_ID = re.compile(r'\bid="([^"]+)"')


def unique_ids(svg: str) -> str:
    """The SVG with every ``id`` (and each reference to it) prefixed by a hash of the drawing.

    matplotlib names its groups ``figure_1``, ``axes_1``, ``patch_1`` ... in every figure, so a
    page holding several would repeat ids, and a ``url(#...)`` could resolve to another figure's
    clip path. The hash is of the drawing itself, so the same figure gets the same ids.

    >>> out = unique_ids('<svg><clipPath id="c1"/><g id="g" clip-path="url(#c1)"/></svg>')
    >>> out  # doctest: +ELLIPSIS
    '<svg><clipPath id="f...-c1"/><g id="f...-g" clip-path="url(#f...-c1)"/></svg>'
    >>> len(set(re.findall(r"f[0-9a-f]{8}-", out)))
    1
    """
    ids = set(_ID.findall(svg))
    if not ids:
        return svg
    prefix = "f" + hashlib.sha1(svg.encode("utf-8")).hexdigest()[:8]

    def ref(m: re.Match[str]) -> str:
        name = m.group(2)
        return f"{m.group(1)}{prefix}-{name}" if name in ids else m.group(0)

    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    # url(#x) in attributes and styles; href="#x" and xlink:href="#x" on <use>
    return re.sub(r'(url\(#|href="#)([^)"]+)', ref, svg)


def dot_whisker_svg(
    labels: Sequence[str],
    estimates: Sequence[Estimate],
    *,
    xlabel: str,
    highlight: str | None = None,
    width_in: float = 6.4,
) -> str:
    """One row per label: the value as a dot, its interval as a whisker (the best at the top)."""
    plt = _plt()
    n = len(labels)
    fig, ax = plt.subplots(figsize=(width_in, 0.9 + 0.32 * max(n, 1)))
    ys = np.arange(n)[::-1]
    for y, label, e in zip(ys, labels, estimates, strict=True):
        colour = RED if label == highlight else BLUE
        ax.plot([e.low, e.high], [y, y], color=colour, lw=1.6)
        ax.plot([e.value], [y], "o", color=colour, ms=5)
    ax.set_yticks(ys, list(labels), fontsize=8)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="x", alpha=0.3, lw=0.5)
    ax.set_ylim(-0.7, n - 0.3)
    return svg_of(fig)


def confusion_svg(counts: np.ndarray, labels: Sequence[str]) -> str:
    """The confusion matrix as a heat map of row rates, each cell with its count and rate."""
    plt = _plt()
    k = len(labels)
    rows = counts.sum(axis=1, keepdims=True)
    rates = np.divide(counts, rows, out=np.zeros_like(counts, dtype=float), where=rows > 0)
    size = 1.6 + 0.55 * k
    fig, ax = plt.subplots(figsize=(size + 1.2, size))
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    for i in range(k):
        for j in range(k):
            colour = "white" if rates[i, j] > 0.6 else "black"
            ax.text(
                j,
                i,
                f"{int(counts[i, j]):,}\n{rates[i, j]:.0%}",
                ha="center",
                va="center",
                fontsize=8,
                color=colour,
            )
    ax.set_xticks(range(k), list(labels), fontsize=8, rotation=30 if k > 4 else 0)
    ax.set_yticks(range(k), list(labels), fontsize=8)
    ax.set_xlabel("predicted", fontsize=8)
    ax.set_ylabel("true", fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    return svg_of(fig)


def curve_band_svg(
    x: np.ndarray,
    y: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    xlabel: str,
    ylabel: str,
    title: str,
    diagonal: bool = False,
    baseline: float | None = None,
) -> str:
    """A curve with its pointwise interval band (ROC, precision-recall)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    ax.fill_between(x, low, high, color=BLUE, alpha=0.2, lw=0, label="95% band")
    ax.plot(x, y, color=BLUE, lw=1.6, label="on the held-out rows")
    if diagonal:
        ax.plot([0, 1], [0, 1], ls="--", color=GREY, lw=0.8, label="chance")
    if baseline is not None:
        ax.axhline(baseline, ls="--", color=GREY, lw=0.8, label="chance (prevalence)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, lw=0.5)
    ax.legend(fontsize=7, loc="lower right" if diagonal else "lower left")
    return svg_of(fig)


def reliability_svg(
    mean_predicted: np.ndarray, observed: Sequence[Estimate], *, xlabel: str
) -> str:
    """Observed frequency per bin (a dot with its Wilson interval) against the mean prediction."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    ax.plot([0, 1], [0, 1], ls="--", color=GREY, lw=0.8, label="perfectly calibrated")
    for x, e in zip(mean_predicted, observed, strict=True):
        ax.plot([x, x], [e.low, e.high], color=BLUE, lw=1.4)
    ax.plot(mean_predicted, [e.value for e in observed], "o-", color=BLUE, ms=4, lw=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel("observed frequency", fontsize=8)
    ax.set_title("Reliability", fontsize=9)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, lw=0.5)
    ax.legend(fontsize=7, loc="upper left")
    return svg_of(fig)


def cost_svg(
    thresholds: np.ndarray,
    cost: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    *,
    chosen: float,
    best: float,
) -> str:
    """Expected cost per row against the decision threshold, with the threshold in use marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.0, 3.0))
    ax.fill_between(thresholds, low, high, color=BLUE, alpha=0.2, lw=0, label="95% interval")
    ax.plot(thresholds, cost, color=BLUE, lw=1.6, label="expected cost per row")
    ax.axvline(chosen, color=RED, lw=1.2, label=f"threshold in use ({chosen:.2f})")
    ax.axvline(best, color=GREY, ls="--", lw=1, label=f"cheapest on these rows ({best:.2f})")
    ax.set_xlabel("decision threshold on the positive class's probability", fontsize=8)
    ax.set_ylabel("cost per row", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, lw=0.5)
    ax.legend(fontsize=7)
    return svg_of(fig)


def image_grid_svg(
    images: Sequence[np.ndarray],
    titles: Sequence[str],
    *,
    columns: int,
    cmap: str = "gray_r",
    symmetric: bool = False,
    overlays: Sequence[np.ndarray | None] | None = None,
    colorbar: str | None = None,
    cell_in: float = 1.25,
) -> str:
    """Small images in a grid, each with its title, on one colour scale (the images' common range,
    or symmetric around 0 for signed weights). ``overlays`` draws a heat map in [0, 1] over an
    image (half transparent); ``colorbar`` labels the scale of the overlays if any, else of the
    images."""
    plt = _plt()
    n = len(images)
    rows = max(1, -(-n // columns))
    stack = np.array([np.asarray(a, dtype=float) for a in images])
    if symmetric:
        top = float(np.abs(stack).max()) or 1.0
        vmin, vmax = -top, top
    else:
        vmin, vmax = float(stack.min()), float(stack.max())
        vmax = vmax if vmax > vmin else vmin + 1.0
    lines = max((t.count("\n") + 1 for t in titles), default=1)
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(cell_in * columns + (0.8 if colorbar else 0), (cell_in + 0.14 * lines) * rows),
        squeeze=False,
        layout="constrained",
    )
    shown = heat = None
    for i, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.axis("off")
            continue
        shown = ax.imshow(stack[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        over = overlays[i] if overlays is not None else None
        if over is not None:
            heat = ax.imshow(
                over, cmap="inferno", vmin=0, vmax=1, alpha=0.6, interpolation="bilinear"
            )
        ax.set_title(titles[i], fontsize=6.5)
    if colorbar:
        fig.colorbar(
            heat or shown, ax=axes.ravel().tolist(), shrink=min(0.8, 2.4 / rows), label=colorbar
        )
    return svg_of(fig)


def epoch_heatmaps_svg(
    panels: Sequence[tuple[str, np.ndarray, np.ndarray]], *, ylabel: str, colorbar: str
) -> str:
    """One small heat map per panel (title, bin edges, shares of shape bins x epochs): epochs
    along x, bins along y, the colour the share of values in the bin on a log scale (a few
    outlying values stay visible next to the bulk)."""
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import MaxNLocator

    plt = _plt()
    k = len(panels)
    fig, axes = plt.subplots(
        1, k, figsize=(1.9 * k + 0.9, 2.5), squeeze=False, layout="constrained"
    )
    positive = [s[s > 0] for _, _, s in panels if (s > 0).any()]
    low = min((float(p.min()) for p in positive), default=1e-4)
    norm = LogNorm(vmin=max(low, 1e-5), vmax=1.0)
    mesh = None
    for ax, (title, edges, shares) in zip(axes[0], panels, strict=True):
        # equal bins and whole epochs: an image (one embedded PNG), where a mesh of quads would
        # write a path per cell and weigh a megabyte
        mesh = ax.imshow(
            np.ma.masked_less_equal(shares, 0),
            origin="lower",
            aspect="auto",
            extent=(0.5, shares.shape[1] + 0.5, float(edges[0]), float(edges[-1])),
            cmap="viridis",
            norm=norm,
            interpolation="nearest",
        )
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title(title, fontsize=7.5)
        ax.set_xlabel("epoch", fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0][0].set_ylabel(ylabel, fontsize=7)
    if mesh is not None:
        fig.colorbar(mesh, ax=axes[0].tolist(), shrink=0.9, label=colorbar)
    return svg_of(fig)


def epochs_line_svg(values: Sequence[float], *, ylabel: str) -> str:
    """One value per epoch as a line with dots (the training loss)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.2, 2.4))
    x = np.arange(1, len(values) + 1)
    ax.plot(x, values, "o-", color=BLUE, ms=3, lw=1.2)
    ax.set_xlabel("epoch", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3, lw=0.5)
    return svg_of(fig)
