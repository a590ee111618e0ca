"""McNemar's test for two classifiers scored on the same rows."""

from __future__ import annotations

from dataclasses import dataclass

from scipy import stats


@dataclass(frozen=True, slots=True)
class McNemarResult:
    """``b``: rows only A got right; ``c``: rows only B got right."""

    b: int
    c: int
    statistic: float
    p_value: float
    method: str


def mcnemar(b: int, c: int, exact: bool | None = None) -> McNemarResult:
    """McNemar's test on the discordant counts ``b`` and ``c``.

    Exact (binomial on the b + c discordant rows) by default when b + c < 25, else chi-square with
    Edwards' continuity correction.

    >>> r = mcnemar(10, 3, exact=False)
    >>> round(r.statistic, 3), round(r.p_value, 4)
    (2.769, 0.0961)
    """
    if b < 0 or c < 0:
        raise ValueError(f"discordant counts must be non-negative, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return McNemarResult(b, c, 0.0, 1.0, "McNemar (no discordant rows)")
    if exact is None:
        exact = n < 25
    if exact:
        p = float(stats.binomtest(min(b, c), n, 0.5).pvalue)
        return McNemarResult(b, c, float(min(b, c)), min(p, 1.0), "McNemar exact")
    chi2 = max(0, abs(b - c) - 1) ** 2 / n
    return McNemarResult(
        b, c, chi2, float(stats.chi2.sf(chi2, 1)), "McNemar chi-square (corrected)"
    )
