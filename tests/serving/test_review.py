"""The review queue: routed predictions and every action on them, in the log's own database.
Nothing is overwritten, every action is named, filters and "next" find the right items."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from candor.serving import PredictionLog, PredictionRecord, ReviewError, ReviewQueue, log_kpis
from candor.serving._review import parse_label


def _rec(i: int, routed: str | None, version: str = "1", pred: str = "yes") -> PredictionRecord:
    return PredictionRecord(
        f"{i:032x}",
        1_700_000_000.0 + i,
        "m",
        version,
        {"x": float(i), "plan": "pro"},
        {"prediction": pred, "probabilities": {"no": 0.4, "yes": 0.6}, "confidence": 0.6},
        0.6,
        1.5,
        routed,
    )


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[ReviewQueue]:
    log = PredictionLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.append(
        [
            _rec(1, "low confidence: top probability 0.600 below 0.7"),
            _rec(2, None),
            _rec(3, "out of distribution: x = 3 is above anything in training (max 2)", "2"),
            _rec(4, "shadow disagrees: v2 (@candidate) says no"),
            _rec(5, None),
        ]
    ).result(timeout=30)
    yield ReviewQueue(log)
    log.close()


def _id(i: int) -> str:
    return f"{i:032x}"


def test_the_queue_holds_the_routed_predictions_oldest_first(queue: ReviewQueue) -> None:
    items = queue.items()
    assert [it.record.id for it in items] == [_id(1), _id(3), _id(4)]
    assert all(it.status == "open" for it in items)
    assert queue.count() == 3 and queue.count(status="all") == 3


def test_filters_by_reason_version_and_status(queue: ReviewQueue) -> None:
    assert [i.record.id for i in queue.items(reason="novelty")] == [_id(3)]
    assert [i.record.id for i in queue.items(reason="shadow")] == [_id(4)]
    assert [i.record.id for i in queue.items(version="2")] == [_id(3)]
    queue.record(_id(1), reviewer="ana", action="confirm")
    assert [i.record.id for i in queue.items(status="reviewed")] == [_id(1)]
    assert queue.count(status="open") == 2
    with pytest.raises(ReviewError, match="use one of confidence, novelty, shadow, client"):
        queue.items(reason="mood")
    with pytest.raises(ReviewError, match="use open, reviewed or all"):
        queue.items(status="done")


def test_a_client_flag_routes_an_unrouted_prediction_and_keeps_its_suggestion(
    queue: ReviewQueue,
) -> None:
    item = queue.flag(_id(2), reviewer="client", reason="customer called", label="no", comment="!")
    assert item.reasons == ["client: customer called"] and item.status == "open"
    assert [i.record.id for i in queue.items(reason="client")] == [_id(2)]
    (flag,) = item.actions
    assert (flag.action, flag.label, flag.comment, flag.reviewer) == ("flag", "no", "!", "client")
    again = queue.flag(_id(1), reviewer="client")
    assert again.reasons[-1] == "client: flagged" and len(again.reasons) == 2
    with pytest.raises(ReviewError, match="no prediction"):
        queue.flag("f" * 32, reviewer="client")


def test_a_confirmation_takes_the_models_answer_and_a_correction_its_label(
    queue: ReviewQueue,
) -> None:
    confirmed = queue.record(_id(1), reviewer="ana", action="confirm", mos=5)
    assert (confirmed.label, confirmed.verdict.mos) == ("yes", 5)  # type: ignore[union-attr]
    corrected = queue.record(_id(3), reviewer="ben", action="correct", label="no", mos="2")
    assert corrected.label == "no" and corrected.status == "reviewed"
    with pytest.raises(ReviewError, match="needs the right label"):
        queue.record(_id(4), reviewer="ana", action="correct")


def test_a_later_verdict_wins_and_the_history_keeps_both(queue: ReviewQueue) -> None:
    queue.record(_id(1), reviewer="ana", action="confirm")
    time.sleep(0.01)
    item = queue.record(_id(1), reviewer="ben", action="correct", label="no", comment="surely")
    assert item.label == "no"
    assert [(a.reviewer, a.action) for a in item.actions] == [
        ("ana", "confirm"),
        ("ben", "correct"),
    ]


def test_unnamed_actions_bad_scores_and_unknown_actions_are_refused(queue: ReviewQueue) -> None:
    with pytest.raises(ReviewError, match="named"):
        queue.record(_id(1), reviewer="  ", action="confirm")
    for bad in (0, 6, "3.5", "five"):
        with pytest.raises(ReviewError, match="whole number from 1 to 5"):
            queue.record(_id(1), reviewer="ana", action="confirm", mos=bad)
    with pytest.raises(ReviewError, match="use one of confirm, correct, skip"):
        queue.record(_id(1), reviewer="ana", action="delete")
    assert queue.item(_id(1)).actions == []  # type: ignore[union-attr]


def test_next_open_skips_what_this_reviewer_skipped_but_not_what_others_did(
    queue: ReviewQueue,
) -> None:
    assert queue.next_open("ana") == _id(1)
    queue.record(_id(1), reviewer="ana", action="skip")
    assert queue.next_open("ana") == _id(3)
    assert queue.next_open("ben") == _id(1)
    assert queue.next_open("ana", after=_id(3)) == _id(4)
    for i in (3, 4):
        queue.record(_id(i), reviewer="ana", action="confirm")
    assert queue.next_open("ana") is None


def test_labels_are_checked_against_the_models_classes() -> None:
    assert parse_label("1", "binary", [0, 1]) == 1
    assert parse_label("setosa", "multiclass", ["setosa", "virginica"]) == "setosa"
    assert parse_label("3.5", "regression", []) == 3.5
    with pytest.raises(ReviewError, match="not one of the model's classes: 0, 1"):
        parse_label("2", "binary", [0, 1])
    with pytest.raises(ReviewError, match="finite"):
        parse_label("inf", "regression", [])
    with pytest.raises(ReviewError, match="not a number"):
        parse_label("lots", "regression", [])


def test_kpis_from_the_log_count_verdicts_and_latest_scores(queue: ReviewQueue) -> None:
    queue.record(_id(1), reviewer="ana", action="confirm", mos=4)
    queue.record(_id(1), reviewer="ana", action="confirm", mos=5)  # the later score counts
    queue.record(_id(3), reviewer="ben", action="correct", label="no", mos=1)
    k = log_kpis(queue, now=1_700_000_010.0).total
    assert k.served == 5
    assert k.exception_rate is not None and k.exception_rate.value == pytest.approx(3 / 5)
    assert k.share_reviewed is not None and k.share_reviewed.value == pytest.approx(2 / 3)
    assert k.agreement is not None and (k.agreement.value, k.agreement.n) == (0.5, 2)
    assert k.mos is not None and (k.mos.value, k.mos.n) == (3.0, 2)
