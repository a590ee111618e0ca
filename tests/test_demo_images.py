"""``candor demo --images``: the loop on handwritten digits with the CNN rung registered, so that
the report looks inside the network. To keep the test to about two minutes it runs on 720 of
sklearn:digits' 1,797 rows (a CSV in the project, as a user's own images would come), the ladder
climbs three rungs, not the five of the real run, the forecast has four anchors, not five, and the
release gate asks 0.80, not 0.90, of the smaller held-out set's pessimistic bound; everything else
is the demo's own path."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from candor.data import load_dataset
from candor.demo import DIGITS, run_demo
from candor.project import Project
from tests.report.test_reporting import _section

pytestmark = pytest.mark.slow


def test_the_image_demo_registers_the_cnn_and_its_report_looks_inside(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    folder = tmp_path / "images"
    folder.mkdir()
    digits = load_dataset("sklearn:digits").frame.sample(720, random_state=0)
    (folder / "digits.csv").write_text(digits.to_csv(index=False))
    stages: list[str] = []
    spec = dataclasses.replace(
        DIGITS,
        source="digits.csv",
        target="target",
        min_acceptable=0.80,
        rungs=["dummy", "linear", "cnn"],
        forecast_fractions=tuple(2.0 ** (-k / 2) for k in range(6, 2, -1)),  # 1/8 to 1/2.8
    )
    res = run_demo(folder, n_resamples=1000, spec=spec, on_stage=stages.append)
    assert len(stages) == 9 and stages[0].startswith("The trap first")
    assert res.dataset == "handwritten digits" and res.n_test == 180
    assert res.registered is not None and res.registered.rung == "cnn"
    assert res.registered.format == "torch"
    assert res.promotion is not None and all(v.passed for v in res.promotion.verdicts)
    assert res.leak is not None and res.leak.audit.verdict == "error"
    assert res.report is not None

    # the report's network section follows the model's, with every picture of the insides
    assert res.report.sections["network"] is True and res.report.sections["model"] is True
    keys = list(res.report.sections)
    assert keys.index("network") == keys.index("model") + 1
    html = res.report.path.read_text(encoding="utf-8")
    net = _section(html, "network")
    for part in (
        "Inside the network",
        "Weights over training",
        "Gradients over training",
        "The first layer's filters",
        "Grad-CAM",
        "conv1: 144 weights",
        "dense2: 640 weights",
    ):
        assert part in html if part == "Inside the network" else part in net, part
    assert net.count("<svg") == 5  # loss, weights, gradients, filters, Grad-CAM
    assert re.search(r"held-out row \d+", net) and "confident right" in net
    assert "(predicted," in net and "(true," in net and "p=" in net
    assert "<th>weights (n)</th>" in net
    # the gallery draws the digits as images with their labels, not 64 columns of pixel values
    model = _section(html, "model")
    assert "Held-out images with their true and predicted class" in model
    assert re.search(r"true \d, predicted \d", model)
    assert "pixel_3_4</th>" not in html
    # and the figures are in MLflow, with the report's run
    client = Project.load(folder).tracker().client()
    logged = {f.path for f in client.list_artifacts(res.report.run_id, "figures")}
    for name in ("nn_weights.svg", "nn_gradients.svg", "nn_filters.svg", "nn_grad_cam.svg"):
        assert f"figures/{name}" in logged
    assert "figures/gallery_confident_right.svg" in logged
