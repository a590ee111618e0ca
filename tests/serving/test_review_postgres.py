"""The review queue on a real PostgreSQL (the team setting): the same code as on SQLite, the
same answers."""

from __future__ import annotations

from candor.serving import PredictionLog, PredictionRecord, ReviewQueue, log_kpis


def _rec(i: int, routed: str | None) -> PredictionRecord:
    return PredictionRecord(
        f"{i:032x}",
        1_700_000_000.0 + i,
        "m",
        "1",
        {"x": float(i)},
        {"prediction": "yes", "confidence": 0.55},
        0.55,
        2.0,
        routed,
        {"novelty": {"score": 0.5, "reasons": []}},
    )


def test_routing_flags_verdicts_filters_and_kpis_on_postgresql(fresh_postgres_url: str) -> None:
    with PredictionLog(fresh_postgres_url) as log:
        log.append(
            [_rec(1, "low confidence: top probability 0.550 below 0.6"), _rec(2, None)]
        ).result(timeout=30)
        q = ReviewQueue(log)
        assert [i.record.id for i in q.items()] == [f"{1:032x}"]
        q.flag(f"{2:032x}", reviewer="client", reason="100% wrong_ish")  # % and _ are escaped
        assert [i.record.id for i in q.items(reason="client")] == [f"{2:032x}"]
        q.record(f"{1:032x}", reviewer="ana", action="correct", label="no", mos=2)
        q.record(f"{2:032x}", reviewer="ana", action="skip")
        assert q.next_open("ana") is None and q.next_open("ben") == f"{2:032x}"
        assert [i.record.id for i in q.items(status="reviewed")] == [f"{1:032x}"]
        item = q.item(f"{1:032x}")
        assert item is not None and item.label == "no" and item.record.details is not None
        k = log_kpis(q, now=1_700_000_100.0).total
        assert (k.served, k.agreement.n if k.agreement else None) == (2, 1)
        assert k.mos is not None and k.mos.value == 2.0
