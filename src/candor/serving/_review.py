"""The review queue: routed predictions, and every action people (and client applications) took
on them, in the prediction log's own database.

Contract:

- **Nothing is overwritten.** Each flag, confirmation, correction or skip is a new row of
  ``reviews`` with who, when, the label, the opinion score and the comment; an item's verdict is
  its latest confirmation or correction. A second reviewer's verdict replaces the first as the
  verdict, and both stay in the history.
- **Named.** An action without a reviewer's name is refused.
- **Same store, same URL** as :class:`~candor.serving.PredictionLog` (SQLite or PostgreSQL);
  actions are committed before they are acknowledged (they are rare: no group commit needed).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from candor.errors import DataError
from candor.serving._log import PredictionLog, PredictionRecord, record_from_row

ACTIONS = ("flag", "confirm", "correct", "skip")
VERDICTS = ("confirm", "correct")
#: what each kind of routing reason starts with, for the queue's filter
REASON_KINDS = {
    "confidence": "low confidence",
    "novelty": "out of distribution",
    "shadow": "shadow disagrees",
    "client": "client",
}


class ReviewError(DataError):
    """A review action that cannot be recorded as given (unknown id, bad label or score)."""


@dataclass(frozen=True, slots=True)
class ReviewAction:
    """One thing one person (or client application) did to one prediction."""

    prediction_id: str
    time: float
    reviewer: str
    action: str
    label: Any = None
    mos: int | None = None
    comment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "prediction_id": self.prediction_id,
            "time": self.time,
            "reviewer": self.reviewer,
            "action": self.action,
            "label": self.label,
            "mos": self.mos,
            "comment": self.comment,
        }


@dataclass(frozen=True)
class QueueItem:
    """A routed prediction with its review history."""

    record: PredictionRecord
    actions: list[ReviewAction] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [r for r in (self.record.routed or "").split("; ") if r]

    @property
    def verdict(self) -> ReviewAction | None:
        done = [a for a in self.actions if a.action in VERDICTS]
        return done[-1] if done else None

    @property
    def status(self) -> str:
        return "open" if self.verdict is None else "reviewed"

    @property
    def label(self) -> Any:
        """The label people settled on (None while open)."""
        v = self.verdict
        return None if v is None else v.label

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.record.to_dict(),
            "reasons": self.reasons,
            "status": self.status,
            "label": self.label,
            "actions": [a.to_dict() for a in self.actions],
        }


def parse_label(value: Any, task: str, classes: list[Any]) -> Any:
    """A reviewer's label as the model's own type: one of ``classes``, or a finite number.

    >>> parse_label("1", "binary", [0, 1])
    1
    >>> parse_label("maybe", "binary", [0, 1])
    Traceback (most recent call last):
    ...
    candor.serving._review.ReviewError: label 'maybe' is not one of the model's classes: 0, 1
    """
    if task == "regression":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ReviewError(f"label {value!r} is not a number: give the true value") from None
        if not math.isfinite(number):
            raise ReviewError(f"label {value!r} is not a finite number")
        return number
    for c in classes:
        if str(c) == str(value):
            return c
    listed = ", ".join(str(c) for c in classes)
    raise ReviewError(f"label {str(value)[:40]!r} is not one of the model's classes: {listed}")


def _text(value: Any, what: str) -> str:
    """Text as a database keeps it: PostgreSQL refuses NUL characters in text, so they are a
    clear error here rather than a failed transaction."""
    text = str(value)
    if "\x00" in text:
        raise ReviewError(f"{what} contains a NUL character (\\u0000): remove it")
    return text


def _mos(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = 0
    if str(score) != str(value).strip() or not 1 <= score <= 5:
        raise ReviewError(f"opinion score {str(value)[:10]!r}: give a whole number from 1 to 5")
    return score


class ReviewQueue:
    """Routed predictions and the actions on them (see the module's contract)."""

    def __init__(self, log: PredictionLog) -> None:
        self.log = log
        self.engine = log.engine
        self.predictions = log.table
        self.reviews = log.reviews

    # -- writing ---------------------------------------------------------------------------------
    def flag(
        self,
        prediction_id: str,
        *,
        reviewer: str,
        reason: str = "",
        label: Any = None,
        comment: str | None = None,
    ) -> QueueItem:
        """A client application says this prediction needs a person: it joins the queue with
        ``client: <reason>`` (a suggested label and comment are kept for the reviewer)."""
        from sqlalchemy import select, update

        reason = " ".join(_text(reason, "reason").split())[:500]
        why = f"client: {reason}" if reason else "client: flagged"
        with self.engine.begin() as conn:
            row = conn.execute(
                select(self.predictions.c.routed).where(self.predictions.c.id == prediction_id)
            ).first()
            if row is None:
                raise ReviewError(f"no prediction {prediction_id[:80]!r} in the log")
            routed = "; ".join(r for r in (row[0], why) if r)
            conn.execute(
                update(self.predictions)
                .where(self.predictions.c.id == prediction_id)
                .values(routed=routed)
            )
            conn.execute(
                self.reviews.insert(),
                self._action_row(prediction_id, reviewer, "flag", label, None, comment),
            )
        item = self.item(prediction_id)
        assert item is not None
        return item

    def record(
        self,
        prediction_id: str,
        *,
        reviewer: str,
        action: str,
        label: Any = None,
        mos: Any = None,
        comment: str | None = None,
    ) -> QueueItem:
        """Record a reviewer's ``confirm`` (the model was right), ``correct`` (with ``label``) or
        ``skip``, with an optional opinion score from 1 to 5 and a comment."""
        from sqlalchemy import select

        if action not in ACTIONS[1:]:
            raise ReviewError(f"action {action!r}: use one of confirm, correct, skip")
        if action == "correct" and label is None:
            raise ReviewError("a correction needs the right label")
        with self.engine.begin() as conn:
            row = (
                conn.execute(select(self.predictions).where(self.predictions.c.id == prediction_id))
                .mappings()
                .first()
            )
            if row is None:
                raise ReviewError(f"no prediction {prediction_id[:80]!r} in the log")
            if action == "confirm":
                label = json.loads(row["outputs"]).get("prediction")
            conn.execute(
                self.reviews.insert(),
                self._action_row(prediction_id, reviewer, action, label, _mos(mos), comment),
            )
        item = self.item(prediction_id)
        assert item is not None
        return item

    def _action_row(
        self,
        prediction_id: str,
        reviewer: str,
        action: str,
        label: Any,
        mos: int | None,
        comment: str | None,
    ) -> dict[str, Any]:
        reviewer = " ".join(_text(reviewer or "", "reviewer").split())
        comment = _text(comment or "", "comment")
        if not reviewer:
            raise ReviewError("every review action is named: give the reviewer's name")
        return {
            "prediction_id": prediction_id,
            "time": time.time(),
            "reviewer": reviewer[:256],
            "action": action,
            "label": None if label is None else json.dumps(label),
            "mos": mos,
            "comment": (comment or "").strip()[:5000] or None,
        }

    # -- reading ---------------------------------------------------------------------------------
    def item(self, prediction_id: str) -> QueueItem | None:
        """A prediction (routed or not) with its actions; None when it is not in the log."""
        record = self.log.get(prediction_id)
        if record is None:
            return None
        return QueueItem(record, self._actions([prediction_id]).get(prediction_id, []))

    def items(
        self,
        *,
        status: str = "open",
        reason: str | None = None,
        version: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[QueueItem]:
        """Routed predictions, oldest first: ``status`` open, reviewed or all; ``reason`` one of
        :data:`REASON_KINDS`; ``version`` the model version that answered."""
        from sqlalchemy import select

        q = self._filtered(select(self.predictions), status, reason, version)
        q = q.order_by(self.predictions.c.time, self.predictions.c.id).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            records = [record_from_row(r) for r in conn.execute(q).mappings()]
        actions = self._actions([r.id for r in records])
        return [QueueItem(r, actions.get(r.id, [])) for r in records]

    def count(
        self, *, status: str = "open", reason: str | None = None, version: str | None = None
    ) -> int:
        from sqlalchemy import func, select

        q = self._filtered(
            select(func.count()).select_from(self.predictions), status, reason, version
        )
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def next_open(self, reviewer: str, *, after: str | None = None) -> str | None:
        """The oldest open item this reviewer has not skipped (other than ``after``)."""
        from sqlalchemy import and_, select

        skipped = select(self.reviews.c.prediction_id).where(
            and_(self.reviews.c.reviewer == reviewer, self.reviews.c.action == "skip")
        )
        q = self._filtered(select(self.predictions.c.id), "open", None, None).where(
            self.predictions.c.id.not_in(skipped)
        )
        if after is not None:
            q = q.where(self.predictions.c.id != after)
        q = q.order_by(self.predictions.c.time, self.predictions.c.id).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else str(row[0])

    def _filtered(self, q: Any, status: str, reason: str | None, version: str | None) -> Any:
        from sqlalchemy import select

        p = self.predictions
        q = q.where(p.c.routed.is_not(None))
        done = select(self.reviews.c.prediction_id).where(self.reviews.c.action.in_(VERDICTS))
        if status == "open":
            q = q.where(p.c.id.not_in(done))
        elif status == "reviewed":
            q = q.where(p.c.id.in_(done))
        elif status != "all":
            raise ReviewError(f"status {status!r}: use open, reviewed or all")
        if reason:
            if reason not in REASON_KINDS:
                raise ReviewError(f"reason {reason!r}: use one of {', '.join(REASON_KINDS)}")
            q = q.where(p.c.routed.contains(REASON_KINDS[reason], autoescape=True))
        if version:
            q = q.where(p.c.version == str(version))
        return q

    def _actions(self, ids: list[str]) -> dict[str, list[ReviewAction]]:
        from sqlalchemy import select

        if not ids:
            return {}
        r = self.reviews
        q = select(r).where(r.c.prediction_id.in_(ids)).order_by(r.c.time, r.c.id)
        out: dict[str, list[ReviewAction]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(q).mappings():
                out.setdefault(row["prediction_id"], []).append(_action(row))
        return out

    def all_actions(self, since: float | None = None) -> list[ReviewAction]:
        """Every action, oldest first (for KPIs and exports)."""
        from sqlalchemy import select

        r = self.reviews
        q = select(r).order_by(r.c.time, r.c.id)
        if since is not None:
            q = q.where(r.c.time >= since)
        with self.engine.connect() as conn:
            return [_action(row) for row in conn.execute(q).mappings()]


def _action(row: Any) -> ReviewAction:
    return ReviewAction(
        row["prediction_id"],
        row["time"],
        row["reviewer"],
        row["action"],
        None if row["label"] is None else json.loads(row["label"]),
        row["mos"],
        row["comment"],
    )


def log_kpis(queue: ReviewQueue, *, since: float | None = None, now: float | None = None) -> Any:
    """The :class:`~candor.serving._kpis.Kpis` of everything in ``queue``'s log (since a time)."""
    import numpy as np
    from sqlalchemy import select

    from candor.serving._kpis import compute_kpis

    p = queue.predictions
    q = select(p.c.id, p.c.time, p.c.latency_ms, p.c.routed.is_not(None))
    if since is not None:
        q = q.where(p.c.time >= since)
    with queue.engine.connect() as conn:
        rows = conn.execute(q).all()
    index = {r[0]: i for i, r in enumerate(rows)}
    times = np.array([r[1] for r in rows], dtype=float)
    verdicts: dict[int, tuple[float, bool]] = {}
    mos: dict[int, int] = {}
    for a in queue.all_actions():  # oldest first: the latest verdict and score win
        i = index.get(a.prediction_id)
        if i is None:
            continue
        if a.action in VERDICTS:
            verdicts[i] = (float(times[i]), a.action == "confirm")
        if a.mos is not None:
            mos[i] = a.mos
    return compute_kpis(
        times,
        np.array([r[2] for r in rows], dtype=float),
        np.array([bool(r[3]) for r in rows], dtype=bool),
        verdicts,
        [(float(times[i]), s) for i, s in mos.items()],
        now=now if now is not None else time.time(),
    )
