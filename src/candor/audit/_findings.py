"""What an audit reports: findings with severity, counts over their denominators, examples and a fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from candor.stats import Estimate

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in the data, said so that a reader can act on it."""

    check: str
    severity: Severity
    title: str
    count: int
    denominator: int
    unit: str
    fix: str
    examples: tuple[dict[str, Any], ...] = ()
    score: Estimate | None = None

    @property
    def text(self) -> str:
        if self.denominator and self.count == self.denominator:  # about the whole split: its n
            share = f"n = {self.denominator:,} {self.unit}"
        else:
            share = f"{self.count:,} of {self.denominator:,} {self.unit}"
            if self.denominator:
                share += f" ({self.count / self.denominator:.1%})"
        scored = f"; {self.score}" if self.score is not None else ""
        return f"{self.title}: {share}{scored}. Fix: {self.fix}"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["score"] = None if self.score is None else self.score.to_dict()
        d["examples"] = [dict(e) for e in self.examples]
        d["text"] = self.text
        return d


@dataclass(frozen=True)
class AuditReport:
    """All findings of one audit, and the verdict: the worst severity found (or "clean")."""

    n_train: int
    n_test: int
    findings: tuple[Finding, ...]
    checks_run: tuple[str, ...]
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        for sev in SEVERITIES:
            if any(f.severity == sev for f in self.findings):
                return sev
        return "clean"

    def fails(self, fail_on: Severity) -> bool:
        """Whether a finding at ``fail_on`` or worse exists (for CI exit codes)."""
        worst = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
        return any(f.severity in worst for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "checks_run": list(self.checks_run),
            "skipped": dict(self.skipped),
            "findings": [f.to_dict() for f in self.findings],
        }
