"""The CNN rung (extra candor[nn]): it runs on image data, is compared like any rung, and only there."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from candor.data import load_dataset
from candor.errors import DataError
from candor.ladder import RUNGS, ladder
from candor.ladder._cnn import SmallCNN
from candor.ladder._measure import model_bytes


def _digits(n: int = 900) -> tuple:  # type: ignore[type-arg]
    ds = load_dataset("sklearn:digits")
    frame = ds.frame.sample(n, random_state=0)
    return frame.drop(columns=[ds.target]), frame[ds.target]


@pytest.mark.slow
def test_the_cnn_runs_on_digits_and_is_compared_honestly() -> None:
    pytest.importorskip("torch")
    X, y = _digits()
    result = ladder(X, y, metric="accuracy", rungs=["dummy", "linear", "cnn"])
    cnn = result.rung("cnn")
    assert cnn.status == "done", cnn.reason
    acc = cnn.scores["accuracy"]
    assert 0.85 <= acc.value <= 1.0 and acc.low <= acc.value <= acc.high
    # the paired comparison with the leader exists for every other rung, whoever leads
    others = {"dummy", "linear", "cnn"} - {result.leader}
    assert set(result.comparisons) == others
    assert result.recommended in {"linear", "cnn"}
    data, fmt, filename = model_bytes(cnn.model)
    assert (fmt, filename) == ("torch state_dict", "cnn.pt") and len(data) > 10_000
    probabilities = cnn.model.predict_proba(X.iloc[:5])
    # the file rebuilds the classifier (weights only, no pickled code): same classes, same output
    again = SmallCNN.from_bytes(data)
    assert list(again.classes_) == list(cnn.model.classes_)
    assert np.allclose(again.predict_proba(X.iloc[:5]), probabilities)
    assert probabilities.shape == (5, 10)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_the_cnn_is_left_out_of_tabular_data_and_refused_when_asked_for() -> None:
    X, y = _digits(300)
    tabular = X.rename(columns=lambda c: c.replace("pixel", "feature"))
    # the rungs are chosen before the climb; a spent budget lists them all without fitting any
    result = ladder(tabular, y, budget_s=1e-9)
    chosen = [r.name for r in result.rungs]
    assert chosen == [n for n, r in RUNGS.items() if "multiclass" in r.tasks and n != "cnn"]
    assert all(r.status == "not run" for r in result.rungs)
    with pytest.raises(DataError, match="image data"):
        ladder(tabular, y, rungs=["linear", "cnn"])


def test_without_torch_the_cnn_is_reported_as_not_run(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a)
    )
    X, y = _digits(300)
    result = ladder(X, y, rungs=["dummy", "cnn"])
    cnn = result.rung("cnn")
    assert cnn.status == "not run"
    assert "candor[nn]" in cnn.reason
    assert result.rung("dummy").status == "done"
