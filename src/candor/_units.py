"""Units shared by every figure candor prints."""

from __future__ import annotations

import math


def format_bytes(b: float) -> str:
    """Bytes in binary (IEC) units, two significant figures below 10.

    >>> format_bytes(5_000_000 * 512 * 4), format_bytes(812 * 1024), format_bytes(300)
    ('9.5 GiB', '812 KiB', '300 B')
    """
    if not math.isfinite(b):
        return "unbounded"
    for unit, size in (("TiB", 2.0**40), ("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10)):
        if abs(b) >= size:
            v = b / size
            return f"{v:.2g} {unit}" if abs(v) < 10 else f"{v:,.0f} {unit}"
    return f"{b:.0f} B"


def listing(items: list[str], k: int = 5) -> str:
    """The first ``k`` items, comma-separated, with ``...`` when there are more.

    >>> listing(["a", "b", "c"], 2)
    'a, b, ...'
    """
    return ", ".join(items[:k]) + (", ..." if len(items) > k else "")


def format_figure(v: float, kind: str) -> str:
    """One measured figure in its unit: ``bytes``, ``s`` (shown in ms below a second), ``ms``, or a
    plain count.

    >>> format_figure(0.0123, "s"), format_figure(2048, "bytes"), format_figure(61234.4, "n")
    ('12.3 ms', '2 KiB', '61,234')
    """
    if not math.isfinite(v):
        return "unbounded"
    if kind == "bytes":
        return format_bytes(v)
    if kind == "s":
        return f"{v * 1000:.3g} ms" if v < 1 else f"{v:.3g} s"
    if kind == "ms":
        return f"{v:.3g} ms"
    return f"{v:,.0f}"
