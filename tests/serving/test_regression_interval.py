"""A regression is served with a prediction interval from its held-out residuals, wider for
unusual rows, and routed when the interval is wider than ``[feedback] max_interval_width``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from candor.project import Project, init_project
from candor.registering import load, register
from candor.serving import PredictionLog, RoutingRules, ServedModel, Serving
from candor.serving._app import _answer, _Inputs, _route


@pytest.fixture(scope="module")
def diabetes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("diabetes")
    init_project(root, source="sklearn:diabetes")
    register(root, name="d", rung="linear")
    return root


def test_a_regression_is_registered_with_conformal_bands_from_its_held_out_rows(
    diabetes: Path,
) -> None:
    model = load("d@candidate", project=diabetes)
    assert model.novelty is not None and model.novelty.conformal is not None
    bands = model.novelty.conformal
    p = Project.load(diabetes)
    ds = p.dataset()
    n_test = len(p.split(ds).test)
    assert sum(bands["n"]) == n_test and bands["level"] == 0.9
    assert all(w > 0 for w in bands["half_widths"])


def test_served_regressions_carry_the_interval_and_wide_ones_are_routed(
    diabetes: Path, tmp_path: Path
) -> None:
    model = load("d@candidate", project=diabetes)
    p = Project.load(diabetes)
    ds = p.dataset()
    frame = ds.frame[ds.features].iloc[p.split(ds).test]
    narrowest = min(model.novelty.conformal["half_widths"])  # type: ignore[union-attr]
    log = PredictionLog(f"sqlite:///{tmp_path / 'log.db'}")
    try:
        serving = Serving(
            ServedModel(lambda: model, lambda: model.version),
            log,
            RoutingRules(max_interval_width=2 * narrowest * 1.001, novelty=1.0),
        )
        inputs = _Inputs(frame.to_dict("records"), model)
        out = _answer(model, inputs, serving.onnx)
        reasons, _ = _route(serving, model, inputs, out)
    finally:
        log.close()
    widths = np.array([o["interval"][1] - o["interval"][0] for o in out])
    assert all(o["interval"][0] < o["prediction"] < o["interval"][1] for o in out)
    routed = np.array([bool(r) for r in reasons])
    assert routed.any() and not routed.all()  # only the rows of the wider bands
    assert (widths[routed] > 2 * narrowest * 1.001).all()
    y = ds.frame[ds.target].iloc[p.split(ds).test].to_numpy()
    inside = np.mean(
        [o["interval"][0] <= t <= o["interval"][1] for o, t in zip(out, y, strict=True)]
    )
    assert inside >= 0.85  # calibrated on these rows: at least the 90% they promise, about
