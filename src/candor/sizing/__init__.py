"""Servers sized by measurement: what a model needs, what a bigger one would, and what it costs.
``candor.size(model, X)`` is :func:`size`."""

import sys
import types
from typing import Any

from candor._units import format_bytes
from candor.sizing._data import DataMemory, data_memory
from candor.sizing._estimate import MemoryEstimate, Part, estimate_memory
from candor.sizing._measure import Measurement, detect_format, load_model, measure
from candor.sizing._price import NoFit, Placement, load_catalogue, place
from candor.sizing._size import Check, SizeResult, Verdict, size, size_output_layer
from candor.sizing._whatif import WhatIf, output_layer, rescale

__all__ = [
    "Check",
    "DataMemory",
    "Measurement",
    "MemoryEstimate",
    "NoFit",
    "Part",
    "Placement",
    "SizeResult",
    "Verdict",
    "WhatIf",
    "data_memory",
    "detect_format",
    "estimate_memory",
    "format_bytes",
    "load_catalogue",
    "load_model",
    "measure",
    "output_layer",
    "place",
    "rescale",
    "size",
    "size_output_layer",
]


class _CallableModule(types.ModuleType):
    """``candor.size(model, X)`` sizes; the module's names stay reachable."""

    def __call__(self, *args: Any, **kwargs: Any) -> SizeResult:
        return size(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
