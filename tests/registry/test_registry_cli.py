"""The registry's commands as a user runs them on a laddered project: a real subprocess for the
first registration, the rest in this process (same exit codes and output, without an interpreter's
start-up each)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from candor.laddering import LadderRun
from tests._in_process import candor_in_process
from tests._subprocess import candor
from tests._subprocess import flat as _flat


@pytest.mark.slow
def test_register_promote_models_card_and_rollback_from_the_command_line(
    laddered: tuple[Path, LadderRun],
) -> None:
    root, run = laddered
    res = candor("register --name cli", cwd=root)
    assert res.returncode == 0, res.stderr
    assert "Registered cli v1 as @candidate" in _flat(res.stdout)
    assert "held-out roc_auc" in _flat(res.stdout)
    res = candor_in_process("promote cli 1", cwd=root)
    assert res.returncode == 0, res.stderr
    assert "Promoted cli v1 to @champion" in _flat(res.stdout)
    res = candor_in_process(f"register {run.run_id} --name cli --rung dummy --json", cwd=root)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["version"] == "2"
    blocked = candor_in_process("promote cli 2", cwd=root)
    assert blocked.returncode == 1
    assert "beats_champion: FAILED" in _flat(blocked.stderr) and "Traceback" not in blocked.stderr
    forced = candor_in_process('promote cli 2 --force --reason "a drill"', cwd=root)
    assert forced.returncode == 0, forced.stderr
    assert "Forced cli v2 to @champion (was v1)" in _flat(forced.stdout)
    listed = candor_in_process("models cli --json", cwd=root)
    rows = {r["version"]: r for r in json.loads(listed.stdout)}
    assert rows["2"]["aliases"] == ["candidate", "champion"] and rows["2"]["gates"] == {
        "champion": "forced"
    }
    assert rows["1"]["score"]["low"] <= rows["1"]["score"]["value"] <= rows["1"]["score"]["high"]
    table = _flat(candor_in_process("models", cwd=root).stdout)
    assert "Registered models" in table and "@champion" in table
    card = candor_in_process("card cli@candidate", cwd=root)
    assert card.returncode == 0, card.stderr
    for section in ("# Model card: cli v2", "## Intended use", "## Evaluation on held-out rows"):
        assert section in card.stdout
    back = candor_in_process("rollback cli", cwd=root)
    assert back.returncode == 0, back.stderr
    assert "Rolled @champion of cli back to v1 (was v2)" in _flat(back.stdout)


def test_registry_commands_say_what_is_wrong(tmp_path: Path) -> None:
    assert candor_in_process("init --source sklearn:iris", cwd=tmp_path).returncode == 0
    for command, message in [
        ("register", "name the model"),
        ("register --name iris", "candor ladder"),
        ("promote iris 1", "no registered model named 'iris'"),
        ("card iris@champion", "no registered model named 'iris'"),
        ("register not-a-run --name iris", "no MLflow run"),
    ]:
        res = candor_in_process(command, cwd=tmp_path)
        assert res.returncode == 2, (command, res.stdout, res.stderr)
        assert message in _flat(res.stderr), (command, res.stderr)
        assert "Traceback" not in res.stderr
