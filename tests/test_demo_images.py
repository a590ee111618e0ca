"""``candor demo --images``: the loop on sklearn:digits with the CNN rung registered, so that the
report looks inside the network. The ladder here climbs three rungs, not the five of the real run,
and the forecast has four anchors, not five, to keep the test to about three minutes; everything
else is the demo's own path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from candor.demo import DIGITS, run_demo

pytestmark = pytest.mark.slow


def test_the_image_demo_registers_the_cnn_and_its_report_looks_inside(tmp_path: Path) -> None:
    stages: list[str] = []
    spec = dataclasses.replace(
        DIGITS,
        rungs=["dummy", "linear", "cnn"],
        forecast_fractions=tuple(2.0 ** (-k / 2) for k in range(6, 2, -1)),  # 1/8 to 1/2.8
    )
    res = run_demo(tmp_path / "images", n_resamples=1000, spec=spec, on_stage=stages.append)
    assert len(stages) == 9 and stages[0].startswith("The trap first")
    assert res.dataset == "handwritten digits" and res.n_test == 450
    assert res.registered is not None and res.registered.rung == "cnn"
    assert res.registered.format == "torch"
    assert res.promotion is not None and all(v.passed for v in res.promotion.verdicts)
    assert res.leak is not None and res.leak.audit.verdict == "error"
    assert res.report is not None and res.report.sections.get("network") is True
    html = res.report.path.read_text(encoding="utf-8")
    assert "Inside the network" in html and "Grad-CAM" in html
    # the gallery draws the rows as images: SVG figures, not 64 columns of pixel values
    assert "pixel_3_4</th>" not in html
