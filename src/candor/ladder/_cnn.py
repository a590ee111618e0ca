"""A small convolutional network for image data, as a scikit-learn classifier (extra ``candor[nn]``).

Two 3x3 convolutions, a 2x2 max-pool and two dense layers, trained with Adam on the CPU. It exists so
that "we need a neural network" can be checked against the other rungs on the same folds, not to win
benchmarks. torch is imported only when the rung is fitted.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class SmallCNN(ClassifierMixin, BaseEstimator):
    """A CNN over images given as rows of ``height x width`` pixel columns."""

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
        self.net_.train()
        for _ in range(self.epochs):
            for batch in torch.randperm(len(images), generator=generator).split(self.batch_size):
                optimiser.zero_grad()
                loss = loss_fn(self.net_(images[batch]), target[batch])
                loss.backward()
                optimiser.step()
        self.net_.eval()
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        import torch

        with torch.no_grad():
            return torch.softmax(self.net_(self._images(X)), dim=1).numpy().astype(float)

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
        model.net_ = model._network(len(model.classes_))
        model.net_.load_state_dict(saved["state_dict"])
        model.net_.eval()
        return model


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
