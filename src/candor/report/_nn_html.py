"""Inside the network, as HTML: the training loss, each layer's weights and gradients over the
epochs, the first layer's filters, and Grad-CAM heat maps over held-out images for the predicted
and the true class. Figures come back too, for MLflow.

Only for the CNN rung (:class:`~candor.ladder._cnn.SmallCNN`); torch runs here only through
:mod:`candor.report._nn`.
"""

from __future__ import annotations

from html import escape
from typing import Any

import numpy as np

from candor.report import _figures as fig
from candor.report import _nn
from candor.report._model_html import TABLE, HeldOut, figure

#: rows of the rebinned histograms (each epoch was recorded in HISTOGRAM_BINS over its own range)
GRID_BINS = 40


def is_network(model: Any) -> bool:
    """Whether ``model`` is the CNN rung's classifier (checked without importing torch)."""
    from candor.ladder._cnn import SmallCNN

    return isinstance(model, SmallCNN) and hasattr(model, "net_")


def _layers_html(history: dict[str, Any], model: Any, figs: dict[str, str]) -> str:
    layers = history["layers"]
    epochs, rows, batches = history["epochs"], history["rows"], history["batches"]
    out = ["<h3>Training</h3>"]
    figs["nn_loss.svg"] = fig.epochs_line_svg(history["loss"], ylabel="training loss")
    out.append(
        figure(
            figs["nn_loss.svg"],
            f"Mean cross-entropy over the {rows:,} training rows in each of the {epochs} epochs "
            f"({batches} batches of at most {model.batch_size} rows an epoch, Adam, learning "
            f"rate {model.learning_rate:g}); measured while the weights moved, so on rows the "
            "network was fitting.",
        )
    )
    weights = [_nn.on_one_grid(r["name"], r["weights"], GRID_BINS) for r in layers]
    grads = [_nn.on_one_grid(r["name"], r["gradients"], GRID_BINS) for r in layers]
    rebinned = (
        f"each epoch was counted in {history['bins']} equal bins over its own range and is "
        f"spread evenly onto {GRID_BINS} bins over the whole run's range, so a share is exact "
        "only to within one recorded bin"
    )
    captions = {
        "weights": (
            "weight value",
            f"For each layer (n: its weights, biases left out), the share of its weights in "
            f"each value bin (y) at the end of each of the {epochs} epochs (x), on a log colour "
            f"scale; {rebinned}.",
        ),
        "gradients": (
            "log10 of the gradient's size",
            "For each layer (n: its weights), the share of its weights by the size of their "
            f"gradient in each epoch: per weight, the root mean square of its gradient over the "
            f"epoch's {batches} batches, on a log10 scale (-3 is 0.001). A layer whose band "
            f"sinks epoch after epoch is learning less and less; {rebinned}.",
        ),
    }
    for kind, grids in (("weights", weights), ("gradients", grads)):
        ylabel, caption = captions[kind]
        name = f"nn_{kind}.svg"
        figs[name] = fig.epoch_heatmaps_svg(
            [(f"{g.layer}: {g.n:,} weights", g.edges, g.shares) for g in grids],
            ylabel=ylabel,
            colorbar="share of the layer's weights",
        )
        out.append(f"<h3>{kind.capitalize()} over training</h3>" + figure(figs[name], caption))
    body = "".join(
        f"<tr><td>{escape(w.layer)}</td><td>{escape(' x '.join(map(str, r['shape'])))}</td>"
        f"<td>{w.n:,}</td>"
        f"<td>{r['weights']['low'][0]:.3g} to {r['weights']['high'][0]:.3g}</td>"
        f"<td>{r['weights']['low'][-1]:.3g} to {r['weights']['high'][-1]:.3g}</td>"
        f"<td>{10 ** _median_bin(g, -1):.2g}</td>"
        f"<td>{g.zeros[-1]:.1%} ({r['gradients']['zeros'][-1]:,} of {g.n:,})</td></tr>"
        for w, g, r in zip(weights, grads, layers, strict=True)
    )
    out.append(
        f"{TABLE}<thead><tr><th>layer</th><th>weight shape</th><th>weights (n)</th>"
        "<th>weight range after epoch 1</th>"
        f"<th>weight range after epoch {epochs}</th>"
        f"<th>median gradient size (RMS over batches), epoch {epochs}</th>"
        f"<th>weights with no gradient in any batch of epoch {epochs} (their input or "
        "unit never fired)</th>"
        f"</tr></thead><tbody>{body}</tbody></table>"
    )
    return "".join(out)


def _median_bin(h: _nn.EpochHistograms, epoch: int) -> float:
    """The middle of the bin holding the median of one epoch's (rebinned) values."""
    col = h.shares[:, epoch]
    if col.sum() <= 0:
        return float("nan")
    i = int(np.searchsorted(np.cumsum(col), col.sum() / 2))
    return float((h.edges[i] + h.edges[i + 1]) / 2)


def _filters_html(model: Any, figs: dict[str, str]) -> str:
    filters = _nn.first_filters(model)
    k, kh, kw = filters.shape
    figs["nn_filters.svg"] = fig.image_grid_svg(
        list(filters),
        [f"filter {i + 1}" for i in range(k)],
        columns=min(k, 8),
        cmap="RdBu_r",
        symmetric=True,
        colorbar="weight",
        cell_in=0.85,
    )
    return "<h3>The first layer's filters</h3>" + figure(
        figs["nn_filters.svg"],
        f"The {k} kernels ({kh}x{kw} pixels) of the first convolution after training, on one "
        "colour scale symmetric around 0: red weighs a bright pixel for the filter's response, "
        "blue against it.",
    )


def _blank(cam: np.ndarray) -> str:
    # Grad-CAM keeps only the evidence for the class (its ReLU): no such evidence, no heat
    return "" if cam.max() > 0 else "\nall 0: nothing for it"


def _grad_cam_html(h: HeldOut, model: Any, proba: np.ndarray, figs: dict[str, str]) -> str:
    labels = [str(c) for c in h.classes]
    index = {c: i for i, c in enumerate(h.classes)}
    codes = np.array([index[v] for v in h.y])
    picks = _nn.cam_examples(codes, proba)
    if not picks:
        return "<h3>Where the network looks (Grad-CAM)</h3><p>No held-out rows to show.</p>"
    rows = [p.position for p in picks]
    pred = np.argmax(proba[rows], axis=1)
    X = h.X.iloc[rows]
    cam_pred = _nn.grad_cam(model, X, pred)
    cam_true = _nn.grad_cam(model, X, codes[rows])
    images = np.asarray(X, dtype=float).reshape(len(rows), *model.image_shape)
    tiles: list[np.ndarray] = []
    overlays: list[np.ndarray | None] = []
    titles: list[str] = []
    for j, p in enumerate(picks):
        i, t, q = p.position, int(codes[p.position]), int(pred[j])
        tiles += [images[j]] * 3
        overlays += [None, cam_pred[j], cam_true[j]]
        titles += [
            f"held-out row {h.X.index[i]}\n{p.kind}\ntrue {labels[t]}, predicted {labels[q]}",
            f"heat for {labels[q]}\n(predicted,\np={proba[i, q]:.2f}){_blank(cam_pred[j])}",
            f"heat for {labels[t]}\n(true,\np={proba[i, t]:.2f}){_blank(cam_true[j])}",
        ]
    figs["nn_grad_cam.svg"] = fig.image_grid_svg(
        tiles,
        titles,
        columns=3,
        overlays=overlays,
        colorbar="heat (1 = the map's peak)",
        cell_in=1.6,
    )
    kinds = ", ".join(dict.fromkeys(p.kind for p in picks))
    return "<h3>Where the network looks (Grad-CAM)</h3>" + figure(
        figs["nn_grad_cam.svg"],
        f"{len(picks)} of the {len(codes):,} held-out rows ({kinds}): the image, then "
        "Grad-CAM for the predicted and for the true class: the last convolution's feature "
        "maps weighted by how much each raises that class's score, scaled to the map's peak. "
        "p is the model's probability of the class for that row. A right answer's two maps are "
        "the same map. A map with no heat: nothing in the image raises that class's score. The "
        "maps are as coarse as the last convolution's view of the image.",
    )


def network_view(h: HeldOut, model: Any) -> tuple[str, dict[str, str]]:
    """The section's inner HTML and its figures (name -> SVG) for a fitted ``SmallCNN``."""
    assert h.proba is not None
    figs: dict[str, str] = {}
    n_out = model.net_[-1].out_features
    if n_out != len(h.classes):
        return (
            f"<p>The network has {n_out} outputs but the model shows {len(h.classes)} classes: "
            "its pictures would not line up with the labels, so they are left out.</p>",
            figs,
        )
    out = [
        f"<p>{escape(h.source)}: a small convolutional network over "
        f"{model.image_shape[0]}x{model.image_shape[1]}-pixel images.</p>"
    ]
    history = getattr(model, "history_", None)
    if history and history.get("epochs"):
        out.append(_layers_html(history, model, figs))
    else:
        out.append(
            "<h3>Training</h3><p>This model was saved without its training history (before "
            "candor recorded it): register it again to see its weights and gradients over the "
            "epochs.</p>"
        )
    out.append(_filters_html(model, figs))
    out.append(_grad_cam_html(h, model, np.asarray(h.proba(h.X), dtype=float), figs))
    return "".join(out), figs
