"""The demo's serving step: a real server for a moment, the held-out rows as traffic, the routed
ones reviewed with the true labels, the KPIs of that traffic alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from candor.project import Project
from candor.serving import PredictionLog, ReviewQueue
from candor.serving._tour import DEMO_REVIEWER, serve_held_out

pytestmark = pytest.mark.slow


def test_the_tour_serves_every_held_out_row_and_reviews_what_was_routed(
    model_project: tuple[Path, list[str]],
) -> None:
    root, _ = model_project
    p = Project.load(root)
    n_test = len(p.split(p.dataset()).test)
    tour = serve_held_out(root, "m@champion")
    assert tour.served == n_test and tour.version == "1"
    assert tour.kpis["served"] == n_test  # this tour's traffic only
    assert tour.kpis["exception_rate"]["n"] == n_test
    assert sum(tour.by_rule.values()) >= tour.routed
    assert set(tour.by_rule) <= {"low confidence", "out of distribution"}
    with PredictionLog(f"sqlite:///{root / '.candor' / 'predictions.db'}") as log:
        reviewed = ReviewQueue(log).items(status="reviewed", limit=1000)
    mine = [i for i in reviewed if i.verdict and i.verdict.reviewer == DEMO_REVIEWER]
    assert len(mine) >= tour.routed
    assert sum(i.verdict.action == "correct" for i in mine if i.verdict) >= tour.corrected
    assert all(i.verdict.mos is None for i in mine if i.verdict)  # no invented opinions
