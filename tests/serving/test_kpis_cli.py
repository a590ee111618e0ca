"""``candor kpis`` on a real SQLite log: every KPI with its interval, n and method, over time,
as JSON; bad input is a one-line error."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from candor.errors import CandorError
from candor.serving import PredictionLog, PredictionRecord, ReviewQueue
from tests._subprocess import candor, flat


@pytest.fixture(scope="module")
def log_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """40 predictions over the last two hours, 10 routed, 8 of those reviewed (6 confirmed), 5
    opinion scores."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kpis') / 'predictions.db'}"
    now = time.time()
    records = [
        PredictionRecord(
            uuid.uuid4().hex,
            now - 7200 + 180 * i,
            "m",
            "1",
            {"x": float(i)},
            {"prediction": i % 2},
            0.5 if i % 4 == 0 else 0.9,
            1.0 + (i % 7) * 0.5,
            "low confidence: 0.50 < 0.60" if i % 4 == 0 else None,
        )
        for i in range(40)
    ]
    with PredictionLog(url) as log:
        log.append(records).result()
        q = ReviewQueue(log)
        routed = [r for r in records if r.routed]
        for k, r in enumerate(routed[:8]):
            action = "confirm" if k < 6 else "correct"
            q.record(
                r.id, reviewer="ann", action=action, label=1, mos=(k % 5) + 1 if k < 5 else None
            )
    return url


def test_kpis_prints_each_figure_with_its_interval_n_and_method(
    log_url: str, tmp_path: Path
) -> None:
    res = candor(f"kpis --log-url {log_url}", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = flat(res.stdout)
    assert "KPIs: 40 predictions served" in out
    for phrase in (
        "exception rate │ 25.0% (",  # 10 of 40
        "share reviewed │ 80.0% (",  # 8 of 10
        "agreement with reviewers │ 75.0% (",  # 6 of 8
        "mean opinion score │ 3.00 (",
        "Wilson, 95%",
        "Student's t, 95%",
        "order statistics (distribution-free), 95%",
        "exact Poisson (Garwood), 95%",
        "not a random sample of traffic",
        "Per hour",
    ):
        assert phrase in out, phrase
    assert "│ 40 │" in out and "│ 10 │" in out and "│ 8 │" in out  # the n column


def _invoke(*args: str) -> Result:
    from candor.cli import app

    return CliRunner().invoke(app, list(args))


def test_kpis_json_is_the_kpis_as_data_and_since_narrows_them(log_url: str) -> None:
    as_json = json.loads(_invoke("kpis", "--log-url", log_url, "--json").stdout)
    total = as_json["total"]
    assert total["served"] == 40 and total["exception_rate"]["n"] == 40
    assert total["agreement"]["low"] < 0.75 < total["agreement"]["high"]
    assert total["mos"]["n"] == 5 and len(as_json["over_time"]) >= 2
    recent = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 3600))
    later = json.loads(_invoke("kpis", "--log-url", log_url, "--since", recent, "--json").stdout)
    assert 0 < later["total"]["served"] < 40
    future = _invoke("kpis", "--log-url", log_url, "--since", "2999-01-01")
    assert "no predictions in the log since 2999-01-01" in flat(future.stdout)


def test_kpis_with_a_bad_date_or_no_log_is_a_one_line_error(
    log_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = candor(f"kpis --log-url {log_url} --since yesterday", cwd=tmp_path)
    assert res.returncode == 2 and res.stderr.count("error:") == 1, res.stderr
    assert "is not an ISO date or time" in flat(res.stderr) and "Traceback" not in res.stderr
    monkeypatch.chdir(tmp_path)
    for args, message in [
        (["--log-url", f"sqlite:///{tmp_path / 'none.db'}"], "no prediction log at"),
        ([], "no candor.toml"),
    ]:
        # a CandorError: the console entry point prints it as one line and exits with 2
        err = _invoke("kpis", *args).exception
        assert isinstance(err, CandorError) and message in str(err), (args, err)
    assert not (tmp_path / "none.db").exists()  # looking did not create an empty log
