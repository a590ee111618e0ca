"""Modules that are also functions: ``candor.forecast(X, y, rung=...)``, ``candor.ladder(X, y)``
and ``candor.size(model, X)`` call the module's main function, while the module's other names
stay reachable (``candor.ladder.RUNGS``)."""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable
from typing import Any


def make_callable(module_name: str, func: Callable[..., Any]) -> None:
    """Calling module ``module_name`` calls ``func``; ``inspect.signature`` and ``help`` show
    ``func``'s parameters and docstring rather than ``(*args, **kwargs)``."""

    class _CallableModule(types.ModuleType):
        __doc__ = (
            f"{sys.modules[module_name].__doc__}\n\nCalled, it is ``{func.__name__}``:\n\n"
            f"{func.__doc__}"
        )

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

    module = sys.modules[module_name]
    module.__class__ = _CallableModule
    module.__signature__ = inspect.signature(func)  # type: ignore[attr-defined]
