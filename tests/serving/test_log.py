"""The prediction log: group commit under concurrent appends, nothing acknowledged is lost when
the writing process is killed, clear errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from candor.serving import LogError, PredictionLog
from tests.serving.conftest import append_from_threads, prediction


def test_concurrent_appends_are_all_committed_in_fewer_transactions(tmp_path: Path) -> None:
    with PredictionLog(f"sqlite:///{tmp_path / 'log.db'}") as log:
        append_from_threads(log, threads=8, each=50)
        assert log.count() == 400
        # group commit: concurrent appends share transactions
        assert log.commits < 400
        one = prediction(7)
        log.append([one]).result()
        got = log.get(one.id)
        assert got is not None and got.inputs == {"x": 7} and got.outputs == {"label": 1}


WRITER = """
import sys, time, uuid
from candor.serving import PredictionLog, PredictionRecord
log = PredictionLog(sys.argv[1])
i = 0
while True:
    recs = [PredictionRecord(uuid.uuid4().hex, time.time(), "m", "1", {"i": i}, {}, None, 0.1)]
    log.append(recs).result()
    print(recs[0].id, flush=True)  # acknowledged: the client would now get its answer
    i += 1
"""


@pytest.mark.slow
def test_every_acknowledged_record_survives_sigkill(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, url], stdout=subprocess.PIPE, text=True, env=os.environ
    )
    assert proc.stdout is not None
    acknowledged = []
    deadline = time.monotonic() + 120
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        acknowledged.append(proc.stdout.readline().strip())
    os.kill(proc.pid, signal.SIGKILL)  # mid-stream, with appends in flight
    proc.wait(timeout=30)
    assert len(acknowledged) == 300
    with PredictionLog(url) as log:
        assert set(acknowledged) <= log.ids()


def test_a_log_that_cannot_be_opened_says_where_and_hides_the_password(tmp_path: Path) -> None:
    with pytest.raises(LogError, match=r"could not be opened.*reachable") as exc:
        PredictionLog(f"sqlite:///{tmp_path / 'missing-folder' / 'log.db'}")
    assert "missing-folder" in str(exc.value)
    log = PredictionLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.close()
    with pytest.raises(LogError, match="closed"):
        log.append([prediction(0)])
