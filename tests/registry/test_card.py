"""The model card says what candor knows, with intervals, and derives its limitations."""

from __future__ import annotations

from candor.registry import model_card
from candor.stats import evaluate


def _facts(**over: object) -> dict[str, object]:
    ev = evaluate([0, 1] * 60, [0, 1] * 55 + [1, 0] * 5, [0.2, 0.8] * 60)
    facts: dict[str, object] = {
        "name": "churn",
        "version": "3",
        "rung": "linear",
        "rung_label": "logistic regression",
        "task": "binary",
        "format": "skops",
        "goal": "flag customers likely to leave",
        "classes": [0, 1],
        "features": [{"name": "age", "dtype": "int64"}],
        "model_rows": "all 480 training rows",
        "primary": "accuracy",
        "data": {"source": "c.csv", "hash": "abc", "rows": 600, "n_train": 480, "n_test": 120},
        "audit": {
            "verdict": "warning",
            "run": "r1",
            "findings": [
                {"severity": "warning", "title": "Split shift", "text": "Split shift: 1 of 1"}
            ],
        },
        "evaluation": ev.to_dict(),
        "ladder": None,
        "size": None,
        "lineage": {"candor.dataset_hash": "abc", "candor.git_commit": "deadbeef"},
    }
    facts.update(over)
    return facts


def test_card_has_every_section_and_figures_with_intervals() -> None:
    text = model_card(_facts())
    for section in (
        "# Model card: churn v3",
        "## Intended use",
        "flag customers likely to leave",
        "## Data",
        "## Evaluation on held-out rows",
        "| accuracy | 0.917 (",
        "## Against simpler models",
        "## Size, latency and cost",
        "## Known limitations",
        "## Lineage",
        "`candor.git_commit`: deadbeef",
    ):
        assert section in text, section


def test_limitations_follow_from_the_evidence() -> None:
    text = model_card(_facts())
    assert "known to within ±" in text and "120 test rows" in text
    assert "rule of three" in text  # a test set under 300 rows
    assert "Audit warning: Split shift." in text
    assert "Not compared with simpler models" in text
    assert "Memory, latency and cost were not measured" in text
    unaudited = model_card(_facts(audit=None, goal=""))
    assert "not audited for leakage" in unaudited and "Not stated" in unaudited
