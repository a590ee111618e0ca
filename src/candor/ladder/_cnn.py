"""A small convolutional network for image data, as a scikit-learn classifier (extra ``candor[nn]``).

Two 3x3 convolutions, a 2x2 max-pool and two dense layers, trained with Adam on the CPU. It exists so
that "we need a neural network" can be checked against the other rungs on the same folds, not to win
benchmarks. torch is imported only when the rung is fitted.

Training leaves a record for the report (``history_``): the loss of each epoch and, for each layer
with weights, a histogram of its weights and of its gradients after each epoch. It is plain lists of
numbers, saved with the weights, and costs one in-place multiply-add per layer and batch plus a few
small histograms per epoch.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

#: bins of each recorded histogram (weights, and the log10 of the gradients' size)
HISTOGRAM_BINS = 30


class SmallCNN(ClassifierMixin, BaseEstimator):
    """A CNN over images given as rows of ``height x width`` pixel columns.

    Attributes
    ----------
    classes_ : the class labels, in the order of ``predict_proba``'s columns.
    history_ : what training recorded, or None for a model saved before candor recorded it::

        {"epochs": E, "rows": n, "batches": b, "bins": HISTOGRAM_BINS,
         "loss": [mean cross-entropy over the epoch's rows, one per epoch],
         "layers": [{"name": "conv1", "shape": [16, 1, 3, 3],
                     "weights": HIST, "gradients": HIST}, ...]}

      where a HIST holds, per epoch, ``low`` and ``high`` (the range of the values, so the bins
      are ``HISTOGRAM_BINS`` equal steps between them; each epoch has its own range), ``counts``
      (values per bin) and ``zeros`` (values exactly 0, left out of the bins). The weights are
      their values at the end of the epoch. A gradient's size is, per weight, the root mean square
      of its gradient over the epoch's batches, binned on a log10 scale (``low``/``high`` are
      log10); a weight whose gradient was 0 in every batch (a dead unit) counts in ``zeros``.
    """

    def __init__(
        self,
        image_shape: tuple[int, int] = (8, 8),
        epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 2e-3,
        random_state: int = 0,
    ) -> None:
        self.image_shape = image_shape
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.random_state = random_state

    def _images(self, X: Any) -> Any:
        import torch

        a = np.nan_to_num(np.asarray(X, dtype=np.float32)) / self.scale_
        return torch.from_numpy(a.reshape(-1, 1, *self.image_shape))

    def _network(self, n_classes: int) -> Any:
        from torch import nn

        h, w = self.image_shape
        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * (h // 2) * (w // 2), 64),
            nn.ReLU(),
            nn.Linear(64, n_classes),
        )

    def fit(self, X: Any, y: Any) -> SmallCNN:
        import torch

        # one intra-op thread while training: the network is too small to share out, and with
        # torch's default (all cores) on a busy 2-core machine a 3-epoch fit on digits took 30 s
        # against 1 s with one thread (the threads wait on each other at every layer)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._fit(X, y)
        finally:
            torch.set_num_threads(threads)

    def _fit(self, X: Any, y: Any) -> SmallCNN:
        import torch

        torch.manual_seed(self.random_state)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        peak = float(np.nanmax(np.abs(np.asarray(X, dtype=np.float32)))) if len(X) else 1.0
        self.scale_ = peak or 1.0
        images = self._images(X)
        target = torch.from_numpy(codes.astype(np.int64))
        self.net_ = self._network(len(self.classes_))
        optimiser = torch.optim.Adam(self.net_.parameters(), lr=self.learning_rate)
        loss_fn = torch.nn.CrossEntropyLoss()
        generator = torch.Generator().manual_seed(self.random_state)
        layers = _weighted_layers(self.net_)
        history = _empty_history(layers, len(images))
        self.net_.train()
        for _ in range(self.epochs):
            # the sum of squared gradients per weight: one in-place multiply-add a batch, so
            # recording costs next to nothing against the batch's forward and backward passes
            squares = [torch.zeros_like(m.weight) for _, m in layers]
            total, batches = torch.zeros(()), 0
            for batch in torch.randperm(len(images), generator=generator).split(self.batch_size):
                optimiser.zero_grad()
                loss = loss_fn(self.net_(images[batch]), target[batch])
                loss.backward()
                optimiser.step()
                with torch.no_grad():
                    total += loss.detach() * len(batch)
                    for sq, (_, m) in zip(squares, layers, strict=True):
                        sq.addcmul_(m.weight.grad, m.weight.grad)
                batches += 1
            _record_epoch(history, layers, squares, batches, float(total) / max(len(images), 1))
        self.net_.eval()
        self.history_: dict[str, Any] | None = history
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        import torch

        # one thread, as in fit: a net this small gains nothing from more, and on a busy 2-core
        # machine a call on 72 rows took 100 ms with two against 4 ms with one
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with torch.no_grad():
                return torch.softmax(self.net_(self._images(X)), dim=1).numpy().astype(float)
        finally:
            torch.set_num_threads(threads)

    def predict(self, X: Any) -> np.ndarray:
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])

    def to_bytes(self) -> bytes:
        """The weights as a torch ``state_dict`` with what rebuilding the classifier needs (image
        shape, classes, input scale, settings): tensors, numbers and strings only, no code, so
        ``torch.load(..., weights_only=True)`` reads it."""
        import torch

        buffer = io.BytesIO()
        torch.save(
            {
                "state_dict": self.net_.state_dict(),
                "classes": self.classes_.tolist(),
                "scale": float(self.scale_),
                "history": getattr(self, "history_", None),
                "params": {
                    "image_shape": list(self.image_shape),
                    "epochs": self.epochs,
                    "batch_size": self.batch_size,
                    "learning_rate": self.learning_rate,
                    "random_state": self.random_state,
                },
            },
            buffer,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SmallCNN:
        """Rebuild a fitted classifier from :meth:`to_bytes` (weights only: no pickled code)."""
        import torch

        saved = torch.load(io.BytesIO(data), weights_only=True)
        if not isinstance(saved, dict) or "state_dict" not in saved:
            raise ValueError("not a candor CNN file: no state_dict with its classes and shape")
        params = dict(saved["params"])
        params["image_shape"] = tuple(params["image_shape"])
        model = cls(**params)
        model.classes_ = np.asarray(saved["classes"])
        model.scale_ = float(saved["scale"])
        model.history_ = saved.get("history")  # None in files saved before it was recorded
        model.net_ = model._network(len(model.classes_))
        model.net_.load_state_dict(saved["state_dict"])
        model.net_.eval()
        return model


def _weighted_layers(net: Any) -> list[tuple[str, Any]]:
    """(name, module) of each layer with a weight, named by kind in order: conv1, conv2, dense1."""
    out, seen = [], {"conv": 0, "dense": 0}
    for module in net:
        if getattr(module, "weight", None) is None:
            continue
        kind = "conv" if module.weight.dim() == 4 else "dense"
        seen[kind] += 1
        out.append((f"{kind}{seen[kind]}", module))
    return out


def _empty_history(layers: list[tuple[str, Any]], rows: int) -> dict[str, Any]:
    def hist() -> dict[str, list[Any]]:
        return {"low": [], "high": [], "counts": [], "zeros": []}

    return {
        "epochs": 0,
        "rows": rows,
        "batches": 0,
        "bins": HISTOGRAM_BINS,
        "loss": [],
        "layers": [
            {
                "name": name,
                "shape": list(m.weight.shape),
                "weights": hist(),
                "gradients": hist(),
            }
            for name, m in layers
        ],
    }


def _add_histogram(h: dict[str, list[Any]], nonzero: np.ndarray, zeros: int) -> None:
    """One epoch's histogram of ``nonzero`` in equal bins over its own range (a range that grows
    with training never clips a value); ``zeros`` are the values left out as exactly 0. Values
    that are not finite (a run that diverged) are in neither."""
    nonzero = nonzero[np.isfinite(nonzero)]
    low, high = (float(nonzero.min()), float(nonzero.max())) if len(nonzero) else (0.0, 0.0)
    if high <= low:  # one value (or none): a bin of width 1 around it
        low, high = low - 0.5, low + 0.5
    # np.histogram's bins (the last one closed), by index arithmetic: several times faster
    step = HISTOGRAM_BINS / (high - low)
    bins = np.minimum(((nonzero - low) * step).astype(np.int64), HISTOGRAM_BINS - 1)
    counts = np.bincount(bins, minlength=HISTOGRAM_BINS)
    h["low"].append(low)
    h["high"].append(high)
    h["counts"].append([int(c) for c in counts])
    h["zeros"].append(int(zeros))


def _record_epoch(
    history: dict[str, Any],
    layers: list[tuple[str, Any]],
    squares: list[Any],
    batches: int,
    loss: float,
) -> None:
    history["epochs"] += 1
    history["batches"] = batches
    history["loss"].append(loss)
    for record, (_, m), sq in zip(history["layers"], layers, squares, strict=True):
        w = m.weight.detach().numpy().ravel()
        _add_histogram(record["weights"], w[w != 0], int((w == 0).sum()))
        rms = np.sqrt(sq.numpy().ravel() / max(batches, 1))
        live = rms[rms > 0]
        _add_histogram(record["gradients"], np.log10(live), len(rms) - len(live))


def image_shape(columns: list[str], all_numeric: bool) -> tuple[int, int] | None:
    """A square grid of pixel columns (``pixel_0_0`` ... as in sklearn's digits), else None.

    >>> image_shape([f"pixel_{i}_{j}" for i in range(8) for j in range(8)], True)
    (8, 8)
    >>> image_shape(["age", "income"], True)
    """
    side = round(len(columns) ** 0.5)
    if not all_numeric or side < 4 or side * side != len(columns):
        return None
    if not all("pixel" in str(c).lower() for c in columns):
        return None
    return side, side
