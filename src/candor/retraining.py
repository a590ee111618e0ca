"""Retraining on reviewed predictions: the recommended rung fitted on the latest feedback export,
registered as a candidate, compared with the champion on the same held-out rows, and judged by
the release gates without moving any alias.

The held-out rows are the project's own (see :mod:`candor.feedback`): the champion was judged on
them, the candidate never trained on them, so the paired comparison is fair to both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from candor.errors import DataError, ModelNotFound
from candor.feedback import FeedbackData, training_data
from candor.forecasting import NoRungChosen
from candor.project import Project
from candor.registering import Registration, project_registry, register, run_gates
from candor.registry import GateVerdict
from candor.registry._store import Registry
from candor.stats import Comparison


@dataclass(frozen=True)
class Retraining:
    """A candidate trained on feedback, and the evidence for promoting it."""

    registration: Registration
    data: FeedbackData
    rung_reason: str
    champion: str | None  # the champion's version, None when there is none
    champion_alias: str
    comparison: Comparison | None
    comparison_note: str
    gates: list[GateVerdict]
    audit_run: str | None

    @property
    def ready(self) -> bool:
        """Whether every gate passes: ``candor promote`` would move the champion."""
        return all(g.passed for g in self.gates)

    @property
    def sentences(self) -> list[str]:
        r, d = self.registration, self.data
        out = [
            f"Retrained {r.name} on dataset {d.dataset.content_hash[:12]}: the "
            f"{d.base_rows:,} original rows and {d.added:,} reviewed prediction(s), with the "
            f"{len(d.split.test):,} held-out rows the champion was judged on left out of "
            f"training; the {r.rung} rung ({self.rung_reason}).",
            r.sentence,
        ]
        if self.comparison is not None:
            out.append(f"On the same held-out rows: {self.comparison.sentence}")
        elif self.comparison_note:  # why there is no comparison
            out.append(f"No comparison: {self.comparison_note}.")
        failed = [g for g in self.gates if not g.passed]
        move = f"`candor promote {r.name} {r.version}`"
        if not failed:
            out.append(
                f"All {len(self.gates)} gate(s) for @{self.champion_alias} pass: {move} "
                "would promote it."
            )
        else:
            out.append(
                f"{len(failed)} of {len(self.gates)} gate(s) for @{self.champion_alias} fail "
                f"({', '.join(g.gate for g in failed)}): {move} would be refused until they pass."
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "registration": self.registration.to_dict(),
            "data": self.data.to_dict(),
            "rung_reason": self.rung_reason,
            "champion": self.champion,
            "champion_alias": self.champion_alias,
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
            "comparison_note": self.comparison_note,
            "gates": [g.to_dict() for g in self.gates],
            "ready": self.ready,
            "audit_run_id": self.audit_run,
            "sentences": self.sentences,
        }


def _model_name(registry: Registry, name: str | None) -> str:
    if name:
        registry.model(name)  # a clear ModelNotFound when there is none
        return name
    names = registry.names()
    if len(names) == 1:
        return str(names[0])
    if not names:
        raise ModelNotFound(
            "no registered model to retrain: `candor register --name NAME` and `candor promote` "
            "make a champion first"
        )
    raise ModelNotFound(f"name the model to retrain: --name {' | '.join(sorted(names))}")


def _choose_rung(
    project: Project, registry: Registry, name: str, champion: str | None, rung: str | None
) -> tuple[str, str]:
    """The rung to fit, and why: given, or the ladder's recommendation (the champion's ladder,
    else the last on the project's data), else the champion's own."""
    if rung:
        from candor.ladder._rungs import RUNGS

        if rung not in RUNGS:  # before the export is read and audited, not minutes later
            raise DataError(f"unknown rung {rung!r}; the rungs are {', '.join(RUNGS)}")
        return rung, "as asked"
    tracker = project.tracker()
    tags = dict(registry.version(name, champion).tags or {}) if champion else {}
    ladder_id = tags.get("candor.ladder.run")
    if ladder_id:
        try:
            recommended = tracker.get_run(ladder_id).data.tags.get("candor.ladder.recommended")
        except Exception:  # the run was deleted: fall back to the last ladder
            recommended = None
        if recommended:
            return recommended, f"recommended by ladder run {ladder_id}, the champion's"
    if tracker.has_runs:
        ds_hash = project.dataset().content_hash
        last = tracker.latest_run("ladder", {"candor.dataset_hash": ds_hash})
        recommended = last.data.tags.get("candor.ladder.recommended") if last else None
        if last is not None and recommended:
            return (
                recommended,
                f"recommended by the last ladder on this data, run {last.info.run_id}",
            )
    if tags.get("candor.rung"):
        return tags["candor.rung"], "the champion's rung; no ladder recommended one"
    raise NoRungChosen(
        "no ladder recommends a rung and there is no champion to follow: name one with --rung "
        "(e.g. --rung linear), or run `candor ladder`"
    )


def _audit(project: Project, data: FeedbackData) -> str:
    """Audit the export's own split and record it under its hash: the audit gate's evidence."""
    from candor.audit import audit
    from candor.auditing import _record

    ds, split = data.dataset, data.split
    report = audit(
        ds.frame.iloc[split.train],
        ds.frame.iloc[split.test],
        ds.target,
        group=ds.group,
        time=ds.time,
        task=ds.task,
        seed=project.config.data.seed,
    )
    return _record(project.tracker(), report, ds.content_hash, "audit feedback export")


def retrain(
    project: str | Path = ".",
    *,
    name: str | None = None,
    rung: str | None = None,
    dataset: str | None = None,
    audit: bool = True,
) -> Retraining:
    """Fit the recommended rung on the latest feedback export (or ``dataset``), register it as a
    candidate, compare it with the champion on the project's held-out rows, and run the release
    gates for the champion alias without promoting.

    ``audit`` audits the export's split first, so the audit gate has evidence for the new data.
    """
    from candor.registering import _compare_on_test

    p = Project.load(project)
    cfg = p.config
    registry = project_registry(p)
    name = _model_name(registry, name)
    alias = cfg.registry.champion
    champion = registry.alias_version(name, alias)
    chosen, why = _choose_rung(p, registry, name, champion, rung)
    data = training_data(p, dataset)
    audit_run = _audit(p, data) if audit else None
    lineage = {
        "candor.feedback.export_run": data.run_id,
        "candor.feedback.base_hash": data.base_hash,
        "candor.feedback.rows": str(data.added),
    }
    reg = register(p.root, name=name, rung=chosen, data=(data.dataset, data.split), lineage=lineage)
    comparison, note = None, f"there is no @{alias} of {name} to compare with"
    if champion is not None:
        comparison, note = _compare_on_test(p, registry, name, reg.version, champion)
    gates = run_gates(p, registry, name, reg.version, alias)
    return Retraining(reg, data, why, champion, alias, comparison, note, gates, audit_run)
