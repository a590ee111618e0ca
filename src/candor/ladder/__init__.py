"""Baseline-first model ladder: climb from the simplest model up and recommend the simplest good one."""

import sys
import types
from typing import Any

from candor.ladder._climb import LadderResult, RungResult, ladder
from candor.ladder._rungs import RUNGS, Context, Rung, rung

__all__ = ["RUNGS", "Context", "LadderResult", "Rung", "RungResult", "ladder", "rung"]


class _CallableModule(types.ModuleType):
    """``candor.ladder(X, y, ...)`` climbs; ``candor.ladder.RUNGS`` and the rest stay reachable."""

    def __call__(self, *args: Any, **kwargs: Any) -> LadderResult:
        return ladder(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
