"""Rungs with a known, deterministic cost: another rung's model, with sleeps in fit or predict.

Sleeping costs no CPU, so these stay exact when the test workers share the cores. With a
``VirtualClock`` the sleeps cost no time either: they only move the clock the ladder reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from candor.ladder import RUNGS, Context, rung


class VirtualClock:
    """A stand-in for the ``time`` module that moves only when a slowed rung sleeps.

    Patched into the ladder, it makes a time budget exact: real work, however slow on a busy
    machine, takes no time on this clock, so what fits the budget is decided by the sleeps alone.
    With a ``tick``, every reading also moves the clock by that much: a call that sleeps not at
    all still takes a tick, so a loop that times calls until some time is spent still ends.
    """

    def __init__(self, tick: float = 0.0) -> None:
        self.now, self.tick = 0.0, tick

    def perf_counter(self) -> float:
        self.now += self.tick
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def __getattr__(self, name: str) -> Any:  # anything else the module reads: the real time
        return getattr(time, name)


class Slowed:
    """Wraps an estimator; fit and predict take at least the given seconds."""

    def __init__(
        self,
        inner: Any,
        fit_s: float = 0.0,
        predict_s: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.inner, self.fit_s, self.predict_s, self.sleep = inner, fit_s, predict_s, sleep

    def fit(self, X: Any, y: Any) -> Slowed:
        self.sleep(self.fit_s)
        self.inner.fit(X, y)
        return self

    def predict(self, X: Any) -> Any:
        self.sleep(self.predict_s)
        return self.inner.predict(X)

    def predict_proba(self, X: Any) -> Any:
        self.sleep(self.predict_s)
        return self.inner.predict_proba(X)


@contextmanager
def slowed_rung(
    name: str,
    like: str,
    *,
    fit_s: float = 0.0,
    predict_s: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """Register ``name``: rung ``like``'s model, slowed; removed from the registry afterwards.

    ``sleep`` is how the slowing is spent: ``time.sleep``, or a ``VirtualClock``'s ``sleep``.
    """
    assert name not in RUNGS
    base = RUNGS[like]

    @rung(name, f"slowed {base.label}", base.family, base.tasks)
    def _build(ctx: Context) -> Any:
        return Slowed(base.build(ctx), fit_s, predict_s, sleep)

    try:
        yield name
    finally:
        RUNGS.pop(name, None)
