"""Rungs with a known, deterministic cost: another rung's model, with sleeps in fit or predict.

Sleeping costs no CPU, so these stay exact when the test workers share the cores.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from candor.ladder import RUNGS, Context, rung


class Slowed:
    """Wraps an estimator; fit and predict take at least the given seconds."""

    def __init__(self, inner: Any, fit_s: float = 0.0, predict_s: float = 0.0) -> None:
        self.inner, self.fit_s, self.predict_s = inner, fit_s, predict_s

    def fit(self, X: Any, y: Any) -> Slowed:
        time.sleep(self.fit_s)
        self.inner.fit(X, y)
        return self

    def predict(self, X: Any) -> Any:
        time.sleep(self.predict_s)
        return self.inner.predict(X)

    def predict_proba(self, X: Any) -> Any:
        time.sleep(self.predict_s)
        return self.inner.predict_proba(X)


@contextmanager
def slowed_rung(
    name: str, like: str, *, fit_s: float = 0.0, predict_s: float = 0.0
) -> Iterator[str]:
    """Register ``name``: rung ``like``'s model, slowed; removed from the registry afterwards."""
    assert name not in RUNGS
    base = RUNGS[like]

    @rung(name, f"slowed {base.label}", base.family, base.tasks)
    def _build(ctx: Context) -> Any:
        return Slowed(base.build(ctx), fit_s, predict_s)

    try:
        yield name
    finally:
        RUNGS.pop(name, None)
