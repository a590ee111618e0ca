"""What the report shows inside a small CNN, computed from the fitted network: Grad-CAM heat maps,
the first layer's filters, the training history's histograms on one grid per layer, and which
held-out images to look at.

Pure: a fitted :class:`~candor.ladder._cnn.SmallCNN` and arrays in, arrays and frozen results out.
torch is imported only inside the functions that run the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def _last_conv_end(net: Any) -> int:
    """The index just after the last convolution and the activation that follows it: Grad-CAM
    reads the feature maps there (after the ReLU, as in the paper's networks)."""
    from torch import nn

    convs = [i for i, m in enumerate(net) if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError("the network has no convolution for Grad-CAM to read")
    end = convs[-1] + 1
    if end < len(net) and isinstance(net[end], nn.ReLU):
        end += 1
    return end


def grad_cam(model: Any, X: Any, classes: Sequence[int] | np.ndarray) -> np.ndarray:
    """Grad-CAM (Selvaraju et al. 2017) of each row of ``X`` for the class at column ``classes[i]``
    of ``predict_proba``: the last convolution's feature maps weighted by the spatial mean of the
    class score's gradient, summed, ReLU'd, upsampled (bilinear) to the image and divided by its
    peak. Returns ``(n, height, width)`` in [0, 1]; a map with no positive evidence is all 0.

    The score is the class's logit (before the softmax), so one class's map does not depend on how
    confident the network is about the others.
    """
    import torch
    from torch.nn import functional

    net = model.net_
    cut = _last_conv_end(net)
    images = model._images(X)
    target = torch.as_tensor(np.asarray(classes, dtype=np.int64)).reshape(-1, 1)
    if len(target) != len(images):
        raise ValueError(f"{len(images)} images but {len(target)} classes")
    with torch.enable_grad():
        features = net[:cut](images).detach().requires_grad_(True)
        logits = net[cut:](features)
        # each image's score depends on its own maps only, so one backward pass serves them all
        (grads,) = torch.autograd.grad(logits.gather(1, target).sum(), features)
    with torch.no_grad():
        alpha = grads.mean(dim=(2, 3), keepdim=True)
        cam = torch.relu((alpha * features).sum(dim=1, keepdim=True))
        cam = functional.interpolate(
            cam, size=tuple(model.image_shape), mode="bilinear", align_corners=False
        )[:, 0]
        peak = cam.amax(dim=(1, 2), keepdim=True)
        cam = torch.where(peak > 0, cam / peak.clamp_min(1e-12), torch.zeros_like(cam))
    return np.asarray(cam.numpy(), dtype=float)


def region_share(heat: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The share of each map's heat (its sum) that falls inside ``mask``; 0 for an all-0 map."""
    h = np.asarray(heat, dtype=float).reshape(len(heat), -1)
    inside = (h * np.asarray(mask, dtype=bool).ravel()).sum(axis=1)
    total = h.sum(axis=1)
    return np.divide(inside, total, out=np.zeros_like(total), where=total > 0)


def first_filters(model: Any) -> np.ndarray:
    """The first convolution's kernels, ``(filters, kh, kw)`` (the input channel, one for
    grey-level images, summed away)."""
    from torch import nn

    first = next(m for m in model.net_ if isinstance(m, nn.Conv2d))
    return np.asarray(first.weight.detach().numpy(), dtype=float).sum(axis=1)


@dataclass(frozen=True, slots=True)
class EpochHistograms:
    """One layer's recorded histograms over epochs, rebinned onto one grid for the whole run."""

    layer: str
    edges: np.ndarray  # bin edges shared by all epochs (bins + 1)
    shares: np.ndarray  # (bins, epochs): share of the layer's values in each bin
    zeros: np.ndarray  # (epochs,): share of values exactly 0 (left out of the bins)
    n: int  # values per epoch: the layer's weights


def on_one_grid(layer: str, hist: dict[str, list[Any]], bins: int = 40) -> EpochHistograms:
    """Each epoch was binned over its own range; spread each bin's count evenly over its width and
    rebin onto ``bins`` equal bins over the whole run's range, so the epochs line up as columns."""
    lows, highs = np.asarray(hist["low"], dtype=float), np.asarray(hist["high"], dtype=float)
    counts = [np.asarray(c, dtype=float) for c in hist["counts"]]
    zeros = np.asarray(hist["zeros"], dtype=float)
    edges = np.linspace(lows.min(), highs.max(), bins + 1)
    columns = []
    for low, high, c in zip(lows, highs, counts, strict=True):
        own = np.linspace(low, high, len(c) + 1)
        cdf = np.concatenate([[0.0], np.cumsum(c)])
        columns.append(np.diff(np.interp(edges, own, cdf, left=0.0, right=cdf[-1])))
    n = round(float(counts[0].sum() + zeros[0])) if counts else 0
    grid = np.array(columns).T
    return EpochHistograms(layer, edges, grid / max(n, 1), zeros / max(n, 1), n)


@dataclass(frozen=True, slots=True)
class Example:
    """A held-out image worth a heat map, and why it was picked."""

    position: int  # row position in the held-out frame
    kind: str  # "confident right", "confident wrong", "uncertain"


def cam_examples(codes: np.ndarray, proba: np.ndarray, wrong: int = 2) -> list[Example]:
    """The most confident right answer, the ``wrong`` most confident wrong ones and the least
    certain row (smallest margin between the top two classes) not already picked."""
    pred = np.argmax(proba, axis=1)
    by_conf = np.argsort(-proba.max(axis=1), kind="stable")
    right = [int(i) for i in by_conf if pred[i] == codes[i]][:1]
    wrongs = [int(i) for i in by_conf if pred[i] != codes[i]][:wrong]
    top2 = np.sort(proba, axis=1)[:, -2:] if proba.shape[1] > 1 else np.ones((len(codes), 2))
    picked = set(right) | set(wrongs)
    unsure = [int(i) for i in np.argsort(top2[:, 1] - top2[:, 0], kind="stable") if i not in picked]
    return (
        [Example(i, "confident right") for i in right]
        + [Example(i, "confident wrong") for i in wrongs]
        + [Example(i, "uncertain") for i in unsure[:1]]
    )
