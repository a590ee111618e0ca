"""Servers sized by measurement: what a model needs, what a bigger one would, and what it costs.

``candor.size(model, X, ...)`` is :func:`size`::

    result = candor.size(model, X, qps=200)          # a fitted model or a saved file, rows like its input
    print(result)                                    # one sentence, every figure with its interval
    result.measurement.single_p99_ms                 # an Estimate: value, low, high, n, method
    candor.size(model, X, what=WhatIf(rows=10**9))   # what-ifs without training

Arguments: ``name``, ``batch`` (rows per measured batch), ``repeats`` (fresh processes, at least 2),
``what`` (a :class:`WhatIf`), ``qps``, ``catalogue``, ``providers``, ``budgets`` (a dict like
``[budgets]``), ``measure_it=False`` for estimates only.
"""

from candor._callable import make_callable
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


make_callable(__name__, size)
