"""The one result type for uncertainty: a value with its interval, its n and its method."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Estimate:
    """A figure that never travels without its uncertainty.

    ``low``/``high`` bound a two-sided interval at confidence ``level``; ``n`` is the number of
    independent units behind it (rows, or clusters for a cluster bootstrap); ``method`` names how the
    interval was obtained, so a reader can judge it.

    >>> e = Estimate(0.95, 0.93, 0.97, 0.95, 500, "Wilson")
    >>> str(e)
    '0.950 (0.930-0.970), n=500, Wilson 95%'
    >>> e.contains(0.96)
    True
    """

    value: float
    low: float
    high: float
    level: float
    n: int
    method: str

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies inside the interval (bounds included)."""
        return self.low <= x <= self.high

    @property
    def half_width(self) -> float:
        """Half the interval's width: the "±" a reader would quote."""
        return (self.high - self.low) / 2.0

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)

    def format(self, digits: int = 3) -> str:
        """``value (low-high)`` with ``digits`` decimals, the way candor prints figures."""
        sep = " to " if self.low < 0 or self.high < 0 else "-"
        return (
            f"{_fmt(self.value, digits)} ({_fmt(self.low, digits)}{sep}{_fmt(self.high, digits)})"
        )

    def __str__(self) -> str:
        return f"{self.format()}, n={self.n}, {self.method} {self.level:.0%}"


def _fmt(x: float, digits: int) -> str:
    if math.isnan(x):
        return "nan"
    if abs(x) >= 10 ** (7 - digits) and digits > 0:
        return f"{x:.4g}"
    return f"{x:.{digits}f}"
