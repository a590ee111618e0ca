"""``candor retrain``: the rung fitted on a feedback export, registered as the candidate, compared
with the champion on the same held-out rows, with the gates' evidence and no promotion."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from candor.errors import DataError
from candor.feedback import export_feedback
from candor.project import Project
from candor.registering import project_registry
from candor.retraining import Retraining, retrain
from tests._subprocess import flat
from tests.serving.test_feedback_export import review_some, served_project


@pytest.fixture(scope="module")
def retrained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Retraining, str]:
    root = served_project(tmp_path_factory.mktemp("retrain"))
    with pytest.raises(DataError, match="no feedback export of the project's data"):
        retrain(root)
    # a rung that does not exist is refused before anything is read, whatever else is missing
    with pytest.raises(DataError, match="unknown rung 'bogus'; the rungs are dummy, linear"):
        retrain(root, rung="bogus")
    review_some(root)
    export = export_feedback(root)
    return root, retrain(root), export.hash


def test_retrain_registers_a_candidate_compared_on_the_champions_held_out_rows(
    retrained: tuple[Path, Retraining, str],
) -> None:
    root, res, export_hash = retrained
    project = Project.load(root)
    n_test = len(project.split(project.dataset()).test)
    reg = res.registration
    assert (reg.name, reg.version, reg.alias, reg.rung) == ("m", "2", "candidate", "linear")
    assert res.rung_reason == "the champion's rung; no ladder recommended one"
    assert reg.dataset_hash == export_hash == res.data.dataset.content_hash
    assert reg.evaluation is not None and reg.evaluation.n == n_test
    assert res.data.split.test.tolist() == project.split(project.dataset()).test.tolist()
    # paired: both versions scored on the same held-out rows
    cmp = res.comparison
    assert cmp is not None and (cmp.name_a, cmp.name_b) == ("v2", "v1")
    assert cmp.metric == "roc_auc" and cmp.difference.n == n_test and cmp.test == "DeLong"
    assert cmp.difference.low <= cmp.difference.value <= cmp.difference.high
    assert "trained on different data" in res.comparison_note
    # the gates were run, not acted on
    assert [g.gate for g in res.gates] == ["audit", "min_acceptable", "beats_champion", "budgets"]
    audit = res.gates[0]
    assert audit.passed and res.audit_run is not None and res.audit_run in audit.evidence
    beats = res.gates[2]
    assert "v1 (@champion)" in beats.evidence and f"n={n_test:,} rows" in beats.evidence
    registry = project_registry(project)
    assert registry.alias_version("m", "champion") == "1"
    assert registry.alias_version("m", "candidate") == "2"
    tags = dict(registry.version("m", "2").tags)
    assert tags["candor.dataset_hash"] == export_hash
    assert tags["candor.feedback.export_run"] == res.data.run_id
    assert tags["candor.feedback.rows"] == "6"
    said = " ".join(res.sentences)
    assert f"n={n_test:,}" in said and "held-out" in said and "95% CI" in said
    assert "candor promote m 2" in said


def test_retrain_from_the_command_line_says_it_in_sentences(
    retrained: tuple[Path, Retraining, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from candor.cli import app

    root, _, _ = retrained
    project = Project.load(root)
    # what the lookup reads of a ladder: its kind, its data and its recommendation
    ladder = project.tracker().log_run(
        "ladder",
        metrics={},
        tags={
            "candor.kind": "ladder",
            "candor.dataset_hash": project.dataset().content_hash,
            "candor.ladder.recommended": "linear",
        },
    )
    monkeypatch.chdir(root)
    res = CliRunner().invoke(app, ["retrain", "--no-audit"])
    assert res.exit_code == 0, res.output
    out = flat(res.output)
    assert "Retrained m on dataset" in out
    assert f"the linear rung (recommended by the last ladder on this data, run {ladder})" in out
    assert "Registered m v3 as @candidate" in out
    assert "On the same held-out rows:" in out and "DeLong" in out
    assert "beats_champion: passed" in out or "beats_champion: FAILED" in out
    res = CliRunner().invoke(app, ["retrain", "--name", "nope"])
    assert res.exit_code != 0 and "no registered model named 'nope'" in flat(str(res.exception))
