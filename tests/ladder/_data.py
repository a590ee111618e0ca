"""Small synthetic data sets whose best model is known by construction."""

from __future__ import annotations

import numpy as np
import pandas as pd


def gaussian_features(n: int, k: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, k)), columns=[f"x{i}" for i in range(k)])


def linear_data(
    n: int = 1_500, k: int = 10, flip: float = 0.05, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """y is the sign of a linear combination of all k features, with a share ``flip`` of labels
    flipped: logistic regression is the Bayes-optimal model family."""
    rng = np.random.default_rng(seed + 100)
    X = gaussian_features(n, k, seed)
    w = rng.normal(size=k)
    y = (X.to_numpy() @ w > 0).astype(int)
    flipped = rng.random(n) < flip
    y[flipped] = 1 - y[flipped]
    return X, y


def xor_data(
    n: int = 2_000, noise_features: int = 4, seed: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """A checkerboard of x0 and x1 plus pure-noise columns: no linear model can beat chance."""
    X = gaussian_features(n, 2 + noise_features, seed)
    y = ((X["x0"] > 0) ^ (X["x1"] > 0)).astype(int).to_numpy()
    return X, y


def mixed_data(n: int = 600, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A linear part (logistic regression does fairly well) and an interaction (trees do better)."""
    rng = np.random.default_rng(seed + 100)
    X = gaussian_features(n, 4, seed)
    logit = 3.0 * X["x2"] + 3.0 * np.sign(X["x0"] * X["x1"])
    y = (logit + rng.logistic(size=n) > 0).astype(int).to_numpy()
    return X, y
