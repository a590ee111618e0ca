"""candor: a workbench that keeps machine-learning projects honest. No bare numbers.

The public face is small; heavy modules load on first use so that ``import candor`` and
``candor --help`` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from candor.stats import Comparison, Estimate, Evaluation, compare, evaluate  # noqa: F401

_LAZY = {
    "evaluate": "candor.stats",
    "compare": "candor.stats",
    "Estimate": "candor.stats",
    "Evaluation": "candor.stats",
    "Comparison": "candor.stats",
    "Project": "candor.project",
    "init_project": "candor.project",
    "load_dataset": "candor.data",
    "split_dataset": "candor.data",
    "load": "candor.registering",
    "register": "candor.registering",
    "promote": "candor.registering",
    "rollback": "candor.registering",
    "LoadedModel": "candor.registry",
    "export_feedback": "candor.feedback",
    "retrain": "candor.retraining",
}

__all__ = sorted([*_LAZY, "forecast", "ladder", "size"])


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in ("ladder", "forecast"):  # callable modules: candor.ladder(X, y), candor.forecast
        return importlib.import_module(f"candor.{name}")
    if name == "size":  # candor.size(model, X): the sizing package, callable
        return importlib.import_module("candor.sizing")
    raise AttributeError(f"module 'candor' has no attribute {name!r}")
