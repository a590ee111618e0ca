"""Plain-language claims: what can and cannot be said about a metric from n rows."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

from candor.stats._estimate import Estimate
from candor.stats._metrics import Metric
from candor.stats._proportion import rule_of_three_upper

#: below this many independent units an interval is rough, whatever the method
SMALL_N = 30


@dataclass(frozen=True, slots=True)
class Claim:
    """A sentence a reader may repeat, and the metric it is about."""

    metric: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _units(estimate: Estimate) -> str:
    return "groups" if "cluster" in estimate.method or "groups" in estimate.method else "rows"


def detectable_difference(estimate: Estimate, power: float = 0.80) -> float:
    """Smallest true change from ``estimate.value`` this sample would detect with ``power``.

    (z_{1-α/2} + z_power) × SE, with SE read off the interval's half-width.
    """
    z_level = float(stats.norm.ppf(0.5 + estimate.level / 2))
    se = estimate.half_width / z_level
    return (z_level + float(stats.norm.ppf(power))) * se


def claim_for(metric: Metric, estimate: Estimate, *, errors: int | None = None) -> Claim:
    """The claim the data supports for one metric (``errors``: wrong rows, for accuracy)."""
    pct = f"{estimate.level:.0%}"
    n = estimate.n
    label = metric.label[0].upper() + metric.label[1:]
    if metric.name == "accuracy" and errors == 0:
        bound = rule_of_three_upper(n, estimate.level)
        return Claim(
            metric.name,
            f'No errors in {n:,} {_units(estimate)}. That supports "error rate below {bound:.2%}" ({pct} one-sided, '
            f'rule of three), not "100% accurate".',
        )
    text = (
        f"{label} is between {estimate.low:.3f} and {estimate.high:.3f} ({pct} CI, {n:,} "
        f"{_units(estimate)}, {estimate.method}); "
    )
    if estimate.low == estimate.high:
        text += (
            "the interval has no width, so the data cannot say how far this would move on new rows."
        )
    else:
        text += (
            f"a true change smaller than ±{detectable_difference(estimate):.3f} would likely go "
            "unnoticed on this test set (80% power)."
        )
    if n < SMALL_N:
        text += f" Only {n} units: treat the interval as rough."
    return Claim(metric.name, text)
