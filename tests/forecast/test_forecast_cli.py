"""``candor forecast`` on a project, as a user runs it: the rung from the last ladder, JSON out,
an MLflow run with the anchors, forecasts and the curve as SVG; clear errors for bad input. The
recorded forecast runs as a real subprocess; the rest in this process (the same output and exit
code, without an interpreter's start-up each)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from candor.laddering import ladder_project
from candor.project import Project, init_project
from tests._in_process import candor_in_process
from tests._subprocess import candor
from tests._subprocess import flat as _flat


@pytest.mark.slow
def test_forecast_takes_the_ladders_recommendation_and_records_the_curve(tmp_path: Path) -> None:
    init_project(tmp_path, source="sklearn:breast_cancer")
    recommended = ladder_project(tmp_path, rungs=["dummy", "linear"]).result.recommended

    res = candor("forecast --scale 2,10 --target-score 0.99 --json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    fc = out["forecast"]
    assert fc["rung"] == recommended and out["rung_source"] == "the last ladder's recommendation"
    assert fc["n_rows"] == 426  # the training split only
    assert [s["factor"] for s in fc["at_scales"]] == [2.0, 10.0]
    assert [s["rows"] for s in fc["at_scales"]] == [852, 4260]
    for s in [fc["at_full"], *fc["at_scales"]]:
        score = s["score"]
        assert score["low"] <= score["value"] <= score["high"] <= 1.0
        assert score["level"] == 0.9
    sizes = [a["rows"] for a in fc["anchors"]]
    assert sizes == sorted(sizes) and len(sizes) >= 3 and sizes[-1] <= 213
    assert fc["rows_needed"]["target"] == 0.99
    assert "10x the data (4,260 rows)" in fc["sentence"]

    run = Project.load(tmp_path).tracker().get_run(out["mlflow_run_id"])
    assert run.data.tags["candor.kind"] == "forecast"
    assert run.data.tags["candor.forecast.rung"] == recommended
    m = run.data.metrics
    assert m["forecast_full_roc_auc_low"] <= m["forecast_full_roc_auc"] <= 1.0
    assert "forecast_x10_roc_auc_high" in m
    svg = Path(run.info.artifact_uri.removeprefix("file://")) / "learning_curve.svg"
    assert svg.read_text().startswith("<svg")

    table = candor_in_process("forecast --rung linear --no-track", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    text = _flat(table.stdout)
    assert "Forecast: linear" in text and "plateau" in text and "●" in table.stdout


@pytest.mark.slow
def test_forecast_backtest_reports_its_error_next_to_the_last_anchor(tmp_path: Path) -> None:
    init_project(tmp_path, source="sklearn:digits")
    res = candor_in_process(
        "forecast --rung naive_bayes --backtest --json --no-track", cwd=tmp_path
    )
    assert res.returncode == 0, res.stderr
    bt = json.loads(res.stdout)["backtest"]
    assert bt["points"] and all(p["rows"] > bt["forecast_from_rows"] for p in bt["points"])
    for p in bt["points"]:
        truth, f, err = p["measured"], p["forecast"], p["error"]
        assert err["value"] == pytest.approx(f["value"] - truth["value"])
        # the error's interval is the truth's own noise: the measured mean's interval, reversed
        assert err["low"] == pytest.approx(f["value"] - truth["high"])
        assert err["high"] == pytest.approx(f["value"] - truth["low"])
        assert err["n"] == truth["n"] and "measured mean" in err["method"]
        assert p["covered"] == (f["low"] <= truth["value"] <= f["high"])
        assert {"value", "low", "high", "n", "method"} <= set(p["last_anchor_error"])
    held = sum(p["covered"] for p in bt["points"])
    assert bt["coverage"]["value"] == pytest.approx(held / len(bt["points"]))
    assert bt["coverage"]["low"] <= bt["coverage"]["value"] <= bt["coverage"]["high"]
    assert bt["coverage"]["n"] == len(bt["points"]) and "Wilson" in bt["coverage"]["method"]
    mae = bt["mean_absolute_error"]
    assert mae["value"] == pytest.approx(np.mean([abs(p["error"]["value"]) for p in bt["points"]]))
    assert 0 <= mae["low"] <= mae["value"] <= mae["high"]
    assert "error" in bt["sentence"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("forecast", "run `candor ladder` first, or name one with --rung"),
        ("forecast --rung nope", "unknown rung 'nope'"),
        ("forecast --rung linear --scale 2,x", "--scale takes positive numbers"),
        ("forecast --rung linear --scale 0", "--scale takes positive numbers"),
        ("forecast --rung linear --target-score 1.5", "best possible value"),
        ("forecast --rung linear --fractions 0.01,0.02", "needs 3"),
        ("forecast --rung linear --repeats 0", "--repeats must be at least 1"),
        ("forecast --rung cnn", "the cnn rung needs image data"),
        ("forecast --rung linear --fractions 0,2", "such as 0.1,0.2,0.4"),
        ("forecast --rung linear --target-score nan", "the target score must be a number"),
        ("forecast --rung linear --scale 1e9", "between 0 and 1000"),
    ],
)
def test_forecast_bad_input_gets_one_clear_line(tmp_path: Path, args: str, message: str) -> None:
    init_project(tmp_path, source="sklearn:iris")
    res = candor_in_process(f"{args} --no-track", cwd=tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert message in _flat(res.stderr)


def test_an_impossible_target_score_is_refused_before_the_data_is_read(tmp_path: Path) -> None:
    from sklearn.datasets import load_iris

    load_iris(as_frame=True).frame.to_csv(tmp_path / "iris.csv", index=False)
    init_project(tmp_path, source="iris.csv", target="target")
    (tmp_path / "iris.csv").unlink()  # reading the data would fail: the target is checked first
    res = candor_in_process("forecast --rung linear --target-score 1.5 --no-track", cwd=tmp_path)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "beyond ROC AUC's best possible value 1.0" in _flat(res.stderr)


@pytest.mark.slow
def test_the_report_shows_the_latest_forecast_and_the_backtest_after_it(tmp_path: Path) -> None:
    from candor.forecasting import forecast_project
    from candor.reporting import report

    init_project(tmp_path, source="sklearn:breast_cancer")
    fc = forecast_project(tmp_path, rung="linear", scales=[2, 10], target_score=0.99)
    forecast_project(tmp_path, rung="linear", backtest_only=True)  # the latest forecast run
    assert fc.result is not None and fc.result.warnings, "precondition: the forecast has notes"

    html = report(tmp_path).path.read_text(encoding="utf-8")
    section = html[html.index('<section id="forecast"') :]
    section = section[: section.index("<section id=", 10)]
    assert 'data-ran="true"' in section and "<svg" in section
    # the forecast's curve first, the backtest's sentence once, after it
    assert section.count("Backtest on this data") == 1
    assert section.index("<svg") < section.index("Backtest on this data")
    assert "<td>plateau</td>" in section
    assert "Backtest on this data</strong> (linear)" in section
    from html import escape

    for note in fc.result.warnings:
        assert escape(note) in section

    run = Project.load(tmp_path).tracker().get_run(fc.run_id)
    p = run.data.params
    assert (p["scales"], p["target_score"], p["level"], p["repeats"]) == (
        "2,10",
        "0.99",
        "0.9",
        "auto",
    )
    assert "forecast_full_fit_seconds_low" in run.data.metrics
