"""Release gates: each judges one piece of evidence and says why, in a sentence with its figures.

Pure: the evidence (an audit's verdict, an ``Estimate``, a paired ``Comparison``, sizing
verdicts) is gathered by the caller; a gate only judges it. A gate with nothing to judge (no
threshold set, no champion yet) passes and says so, so the record shows it was considered.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from candor.stats import Comparison, Estimate


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """One gate's outcome and its evidence."""

    gate: str
    passed: bool
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.gate}: {'passed' if self.passed else 'FAILED'}: {self.evidence}"


def judge_audit(verdict: str | None, run_id: str | None, counts: dict[str, int]) -> GateVerdict:
    """The data audit has no error finding (warnings are reported, not blocking)."""
    if verdict is None:
        return GateVerdict(
            "audit",
            False,
            "no audit of this version's data is recorded: run `candor audit` on the data it was "
            "trained on",
        )
    found = ", ".join(f"{n} {sev}(s)" for sev, n in counts.items() if n) or "no findings"
    where = f" (audit run {run_id})" if run_id else ""
    if verdict == "error":
        return GateVerdict(
            "audit",
            False,
            f"the audit of its data found {found}{where}; a leak or an integrity error makes "
            "every score meaningless: fix the data, audit again, retrain",
        )
    return GateVerdict("audit", True, f"the audit of its data found {found}{where}")


def judge_min_acceptable(
    metric: str, estimate: Estimate | None, threshold: float | None, greater_is_better: bool
) -> GateVerdict:
    """The primary metric's pessimistic bound reaches ``[metric] min_acceptable``."""
    if threshold is None:
        return GateVerdict(
            "min_acceptable", True, f"no [metric] min_acceptable is set for {metric}"
        )
    if estimate is None:
        return GateVerdict(
            "min_acceptable",
            False,
            f"no held-out {metric} is recorded for this version; register it again",
        )
    bound, side = (estimate.low, "lower") if greater_is_better else (estimate.high, "upper")
    ok = bound >= threshold if greater_is_better else bound <= threshold
    # for a loss, min_acceptable is the most it may be
    words = ("at least", "short of") if greater_is_better else ("at most", "over")
    rel = words[0] if ok else words[1]
    return GateVerdict(
        "min_acceptable",
        ok,
        f"held-out {metric} {estimate.format()} (n={estimate.n:,}, {estimate.method}): its "
        f"{side} bound {bound:.3f} is {rel} min_acceptable {threshold:g}",
    )


def judge_champion(
    comparison: Comparison | None,
    champion: str | None,
    margin: float,
    greater_is_better: bool,
    note: str = "",
    margin_note: str = "",
) -> GateVerdict:
    """Better than the champion, or worse by no more than ``margin``, on the same held-out rows
    (the paired difference's interval decides, not the point values)."""
    if champion is None:
        return GateVerdict("beats_champion", True, "there is no champion yet")
    if comparison is None:
        return GateVerdict("beats_champion", False, note or f"could not compare with {champion}")
    d = comparison.difference
    worst = d.low if greater_is_better else -d.high  # how much worse it may be, at the bound
    ok = worst >= -margin
    verb = "is no worse than" if ok else "may be worse than"
    how = (
        f"{comparison.metric} {comparison.a.format()} vs {comparison.b.format()}, difference "
        f"{d.value:+.3f} ({d.level:.0%} CI {d.low:+.3f} to {d.high:+.3f}), {d.method}, "
        f"n={d.n:,} rows"
    )
    tail = f"; {note}" if note else ""
    return GateVerdict(
        "beats_champion",
        ok,
        f"{verb} {champion} by more than the margin {margin:.4g}{margin_note}: {how}{tail}",
    )


def judge_budgets(
    budgets: dict[str, float | None],
    verdicts: dict[str, str],
    details: dict[str, str],
    run: str,
    rung: str = "RUNG",
) -> GateVerdict:
    """Every ``[budgets]`` key is met by the version's sizing; "unclear" (an interval straddling
    the budget) does not pass."""
    wanted = {k: v for k, v in budgets.items() if v is not None}
    if not wanted:
        return GateVerdict("budgets", True, "no [budgets] are set")
    if not verdicts:
        return GateVerdict(
            "budgets",
            False,
            f"[budgets] set ({', '.join(f'{k}={v:g}' for k, v in wanted.items())}) but the model "
            f"is not sized: run `candor size --rung {rung}`, then promote again",
        )
    parts, ok = [], True
    for key, limit in wanted.items():
        verdict = verdicts.get(key, "not measured")
        ok = ok and verdict == "within"
        detail = f" ({details[key]})" if details.get(key) else ""
        parts.append(f"{key} {verdict} {limit:g}{detail}")
    return GateVerdict("budgets", ok, "; ".join(parts) + (f" (size run {run})" if run else ""))
