"""``candor size`` as a user runs it: a project's rung measured, priced and recorded in MLflow; the
ladder's own model when there is one; what-ifs without a model; clear errors for bad input. The
sizing of the ladder's model runs as a real subprocess; the other commands run in this process
(the same output and exit code, without an interpreter's start-up each)."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest

from candor import sizer
from candor.laddering import ladder_project
from candor.project import Project, init_project
from tests._in_process import candor_in_process, returns_of
from tests._subprocess import candor
from tests._subprocess import flat as _flat


@pytest.mark.slow
def test_size_measures_prices_and_records_a_rung(tmp_path: Path) -> None:
    init_project(tmp_path, source="sklearn:breast_cancer")
    toml = tmp_path / "candor.toml"
    toml.write_text(
        toml.read_text().replace(
            "# latency_p99_ms = 50\n# model_mb = 100\n# monthly_usd = 300",
            "latency_p99_ms = 0.001\nmodel_mb = 100\nmonthly_usd = 1000",
        )
    )
    with returns_of(sizer, "size_project") as runs:
        res = candor_in_process("size --rung linear --repeats 2 --qps 50 --json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["model_source"] == "the linear rung, fitted for sizing on the 426 training rows"
    size = out["size"]
    m = size["measurement"]
    for key in (
        "load_seconds",
        "resident_bytes",
        "live_bytes",
        "batch_peak_bytes",
        "single_p99_ms",
    ):
        e = m[key]
        assert e["low"] <= e["value"] <= e["high"] and e["n"] >= 2 and e["method"]
    assert size["check"]["measured_bytes"]["n"] == 2 and size["check"]["ratio"] > 0
    assert size["placement"]["monthly_usd"] > 0 and size["placement"]["source"].startswith("https")
    verdicts = {v["budget"]: v["verdict"] for v in size["budgets"]}
    assert verdicts == {"model_mb": "within", "latency_p99_ms": "over", "monthly_usd": "within"}
    assert size["data"]["pandas_bytes_per_row"] == 30 * 8

    run = Project.load(tmp_path).tracker().get_run(out["mlflow_run_id"])
    assert run.data.tags["candor.kind"] == "size"
    assert run.data.tags["candor.budget.latency_p99_ms"] == "over"
    mm = run.data.metrics
    assert mm["size_p99_ms_low"] <= mm["size_p99_ms"] and mm["size_resident_bytes_n"] == 2
    assert mm["size_monthly_usd"] > 0

    # the same sizing as a table: the run above, printed as the command without --json prints it
    # (measuring again would take four more fresh processes and say the same)
    with mock.patch.object(sizer, "size_project", lambda *args, **kwargs: runs[0]):
        table = candor_in_process("size --rung linear --repeats 2", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    text = _flat(table.stdout)
    assert "Against the measurement" in text and "Cheapest home" in text and "over" in text


@pytest.mark.slow
def test_size_takes_the_ladders_model_and_answers_what_ifs(tmp_path: Path) -> None:
    init_project(tmp_path, source="sklearn:digits")
    ladder_project(tmp_path, rungs=["dummy", "random_forest"])
    # the what-ifs are estimates: no need to measure the model in fresh processes for them
    res = candor("size --no-measure --rows 1e6 --classes 100 --json --no-track", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["model_source"] == "the last ladder's random_forest model"
    size = out["size"]
    assert size["name"] == "random_forest"
    scenario = size["scenario"]
    assert scenario["dominant"]["name"] == "trees"
    assert "1,000,000 training rows" in size["sentence"]
    assert scenario["total_bytes"] > 100 * size["estimate"]["model_bytes"]


def test_a_rung_fitted_for_sizing_gets_class_codes_as_the_ladder_gives_them(
    tmp_path: Path,
) -> None:
    # breast_cancer's labels are strings; XGBoost refuses anything but 0..k-1
    init_project(tmp_path, source="sklearn:breast_cancer")
    res = candor_in_process("size --rung xgboost --no-measure --json --no-track", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)["size"]
    assert out["measurement"] is None and out["estimate"]["dominant"]["name"]
    assert out["name"] == "xgboost" and out["estimate"]["family"] == "ensemble"


def test_a_what_if_without_a_model_names_the_part_that_dominates(tmp_path: Path) -> None:
    res = candor_in_process("size --classes 5000000 --features 512", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    text = _flat(res.stdout)
    assert "the output layer: 5,000,000 x 512 float32 = 9.5 GiB" in text
    huge = candor_in_process("size --classes 2e9 --features 4096 --train", cwd=tmp_path)
    assert huge.returncode == 0, huge.stderr
    text = _flat(huge.stdout)
    assert "no instance in the catalogue holds 119 TiB" in text and "split across" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ("size --classes 5000000 --features -3", "--features must be a positive whole number"),
        ("size --rows abc --classes 3 --features 4", "--rows must be a positive whole number"),
        ("size --classes 1e11 --features 4", "is beyond"),
        ("size", "no candor.toml here"),
        ("size --model notes.txt --data rows.csv", "not a model file candor can read"),
        ("size --model notes.txt", "needs rows to predict"),
        ("size --classes 3 --features 4 --qps -5", "--qps must be a positive number"),
    ],
)
def test_bad_input_gets_a_clear_error(tmp_path: Path, args: str, message: str) -> None:
    (tmp_path / "notes.txt").write_text("not a model")
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n")
    res = candor_in_process(args, cwd=tmp_path)
    assert res.returncode != 0
    assert message in _flat(res.stderr), res.stderr
    assert "Traceback" not in res.stderr
