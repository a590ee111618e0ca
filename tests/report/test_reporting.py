"""candor report on a real project and on an empty one: the sections match what ran, every
section that did not run names the command to run, and the file needs nothing from outside."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from candor.project import init_project
from candor.report._insights import cost_curve, gallery, reliability
from candor.report._page import markdown_html
from candor.reporting import ReportResult, report
from candor.stats import Costs


def _section(html: str, key: str) -> str:
    # up to the next section of the report (stored fragments bring <section>s of their own)
    m = re.search(
        rf'<section id="{key}" data-ran="(true|false)">(.*?)(?=<section id=|</body>)', html, re.S
    )
    assert m, f"no section {key}"
    return m.group(2)


@pytest.mark.slow
def test_report_of_a_real_project_shows_each_section_that_ran(
    reported: tuple[Path, ReportResult, str],
) -> None:
    _, res, html = reported
    assert res.sections == {
        "overview": True,
        "audit": True,
        "ladder": True,
        "model": True,
        "forecast": False,
        "size": False,
        "serving": False,
        "card": True,
    }
    assert res.to_run == ["candor forecast", "candor size"]
    assert "569 rows" in _section(html, "overview")
    assert "Data audit" in _section(html, "audit")
    ladder = _section(html, "ladder")
    assert "<svg" in ladder and "linear (recommended)" in ladder
    model = _section(html, "model")
    for part in ("Confusion matrix", "Per class", "ROC and precision-recall", "Calibration"):
        assert part in model
    assert "Business cost" in model and "threshold in use (0.50)" in model
    assert "Permutation importance" in model and "t over the shuffles" in model
    assert "Most confident wrong answers" in model and "Least certain" in model
    assert "The registered bc v1 (@candidate)" in model
    assert "Wilson" in model and "n=" in model  # no bare numbers
    assert "<code>candor forecast</code>" in _section(html, "forecast")
    assert "<code>candor size</code>" in _section(html, "size")
    assert "candor serve" in _section(html, "serving")
    assert "Model card: bc v1" in _section(html, "card")


@pytest.mark.slow
def test_report_is_self_contained(reported: tuple[Path, ReportResult, str]) -> None:
    _, _, html = reported
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "<script" not in html.lower() and "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)  # only url(#clip) inside the SVGs
    assert "<!DOCTYPE svg" not in html and "<?xml" not in html


@pytest.mark.slow
def test_report_is_logged_to_mlflow_with_its_figures(
    reported: tuple[Path, ReportResult, str],
) -> None:
    from candor.project import Project

    root, res, _ = reported
    assert res.run_id
    client = Project.load(root).tracker().client()
    names = {f.path for f in client.list_artifacts(res.run_id, "figures")}
    assert {"figures/ladder.svg", "figures/confusion.svg", "figures/cost.svg"} <= names
    assert "report.html" in {f.path for f in client.list_artifacts(res.run_id)}


def test_a_project_with_nothing_run_gets_a_report_that_says_what_to_run(tmp_path: Path) -> None:
    init_project(tmp_path, source="sklearn:iris")
    out = tmp_path / "out" / "r.html"
    res = report(tmp_path, out, track=False)
    html = out.read_text()
    assert res.sections["overview"] and not any(
        v for k, v in res.sections.items() if k != "overview"
    )
    for command in ("candor audit", "candor ladder", "candor register NAME", "candor forecast"):
        assert command in res.to_run
        assert f"<code>{command}</code>" in html
    assert not list(out.parent.glob(".*.tmp"))  # written through a temporary file and a rename


def test_cost_curve_marks_the_cheapest_threshold() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    score = np.clip(y * 0.3 + rng.uniform(0, 0.7, 400), 0, 1)
    cc = cost_curve(y, score, Costs(1.0, 10.0))
    # false negatives cost ten times more: the cheapest threshold sits below 0.5
    assert cc.best < 0.5 and cc.at_best.value <= cc.at_chosen.value
    assert cc.at_chosen.low <= cc.at_chosen.value <= cc.at_chosen.high and cc.at_chosen.n == 400


def test_reliability_bins_carry_wilson_intervals() -> None:
    prob = np.linspace(0, 1, 200)
    rel = reliability((prob > 0.5).astype(int), prob, "p")
    assert len(rel.observed) == 10 and all(e.method == "Wilson" and e.n == 20 for e in rel.observed)


def test_gallery_shows_the_most_confident_wrong_answer_first() -> None:
    import pandas as pd

    X = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0]})
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.55, 0.45], [0.01, 0.99]])
    g = gallery(X, np.array([0, 0, 0, 1]), proba, ["no", "yes"], ["a"])
    assert list(g.confident_wrong["a"]) == [2.0]
    assert list(g.confident_right["a"]) == [4.0, 1.0, 3.0]
    assert g.uncertain.iloc[0]["a"] == 3.0


def test_model_card_markdown_becomes_headings_lists_and_tables() -> None:
    html = markdown_html(
        "# Card\n\nSome `code`.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert "<h3>Card</h3>" in html and "<code>code</code>" in html
    assert "<li>one</li>" in html and "<th>a</th>" in html and "<td>2</td>" in html


def test_serving_shares_are_percentages_and_forecast_methods_are_said_once(tmp_path: Path) -> None:
    import time
    import uuid

    from candor.report._recorded_html import forecast_recorded_html, serving_html
    from candor.serving import PredictionLog, PredictionRecord, ReviewQueue, log_kpis

    log = PredictionLog(f"sqlite:///{tmp_path / 'log.db'}")
    try:
        now = time.time()
        log.append(
            [
                PredictionRecord(
                    uuid.uuid4().hex,
                    now,
                    "m",
                    "1",
                    {"x": i},
                    {"prediction": 1},
                    0.9,
                    1.0,
                    "low confidence" if i < 7 else None,
                )
                for i in range(100)
            ]
        ).result()
        queue = ReviewQueue(log)
        html = serving_html(log_kpis(queue), 7, 0)
    finally:
        log.close()
    row = next(r for r in html.split("<tr>") if r.startswith("<td>exception rate"))
    assert "7.0% (" in row and "n=100" in row  # 7 of 100 routed, as a percentage with its n
    est = {"value": 0.9, "low": 0.85, "high": 0.95, "level": 0.9, "n": 40, "method": "curve fit"}
    doc = {
        "forecast": {
            "metric": "roc_auc",
            "level": 0.9,
            "rung": "linear",
            "at_full": {"rows": 400, "score": est, "fit_seconds": {**est, "method": "power law"}},
            "at_scales": [{"factor": 2, "rows": 800, "score": est}],
        }
    }
    table = forecast_recorded_html(doc, "a sentence", None)
    assert table.count("curve fit") == 1 and "roc_auc: curve fit (n=40, 90%)" in table
    assert "fit time: power law (n=40, 90%)" in table
