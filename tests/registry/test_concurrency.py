"""Several processes registering and promoting versions of one model at once leave a consistent
registry: every version registered exists once, one champion, and a history that replays to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from candor.laddering import LadderRun
from candor.project import Project
from candor.registering import alias_history, project_registry

WORKER = """
import importlib.abc, json, sys


class NoTorch(importlib.abc.MetaPathFinder):
    # a linear model needs no PyTorch, but skops' type registry walks scikit-learn, whose array-API
    # support imports torch where it is installed: seconds of each process's start, as in the
    # sizing probe (candor.sizing._probe), which keeps it out the same way
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("PyTorch is not needed to register a linear model")
        return None


sys.meta_path.insert(0, NoTorch())
from candor.registering import promote, register
root, tag = sys.argv[1], sys.argv[2]
done = []
for i in range(2):
    reg = register(root, name="busy", rung="linear")
    p = promote(root, name="busy", version=reg.version, force=True, reason=f"{tag}-{i}")
    done.append({"version": reg.version, "outcome": p.outcome})
print(json.dumps(done))
"""

PROCESSES = 4


@pytest.mark.slow
def test_concurrent_registrations_and_promotions_stay_consistent(
    laddered: tuple[Path, LadderRun],
) -> None:
    root, _ = laddered
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(root), f"p{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for i in range(PROCESSES)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-3000:]
        results += json.loads(out.strip().splitlines()[-1])
    registry = project_registry(Project.load(root))
    versions = sorted(int(v.version) for v in registry.versions("busy"))
    claimed = sorted(int(r["version"]) for r in results)
    # no lost and no duplicated versions: 1..N, each handed to exactly one process
    assert claimed == versions == list(range(1, 2 * PROCESSES + 1))
    champion = registry.alias_version("busy", "champion")
    events = registry.events("busy", "champion")
    assert len(events) == 2 * PROCESSES  # every promotion recorded once
    assert {e["to"] for e in events} == {str(v) for v in versions}
    # the history replays to the alias as it stands: the last move is the current champion
    assert events[-1]["to"] == champion
    assert alias_history(events, champion)[-1] == champion
    # each move's "from" is the previous move's "to": the moves were serialised
    assert [e["from"] for e in events[1:]] == [e["to"] for e in events[:-1]]
