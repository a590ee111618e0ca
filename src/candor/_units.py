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
