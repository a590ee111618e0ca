"""``candor ladder`` on a project: JSON out, a parent MLflow run with a nested run per rung, and
every rung's model stored with skops (no pickle) so that it loads and predicts. The climb that is
recorded runs as a real subprocess; the table and the errors in this process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio

from candor.data import load_dataset
from candor.project import Project, init_project
from tests._in_process import candor_in_process
from tests._subprocess import candor
from tests._subprocess import flat as _flat

RUNG_NAMES = ["dummy", "linear", "hist_gb"]


@pytest.mark.slow
def test_ladder_command_records_the_climb_in_mlflow(tmp_path: Path) -> None:
    init_project(tmp_path, source="sklearn:breast_cancer")
    res = candor(f"ladder --rungs {','.join(RUNG_NAMES)} --json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)  # progress goes to stderr: stdout is pure JSON

    assert out["task"] == "binary" and out["metric"] == "roc_auc"
    assert out["n_rows"] == 426  # the training split only; the 143 test rows stay untouched
    assert [r["name"] for r in out["rungs"]] == RUNG_NAMES
    assert all(r["status"] == "done" for r in out["rungs"])
    assert out["recommended"] in RUNG_NAMES and out["recommended"] != "dummy"
    assert out["sentence"].startswith("Use ")
    held = out["held_out"]
    assert held["rung"] == out["recommended"] and held["n_test"] == 143
    auc = held["scores"]["roc_auc"]
    assert auc["n"] == 143 and auc["low"] <= auc["value"] <= auc["high"] and auc["value"] > 0.9
    run_id = out["mlflow_run_id"]
    assert run_id

    from mlflow.tracking import MlflowClient

    tracker = Project.load(tmp_path).tracker()
    assert tracker.uri.startswith("sqlite:") and str(tmp_path.resolve()) in tracker.uri
    client = MlflowClient(tracking_uri=tracker.uri)
    parent = client.get_run(run_id)
    assert parent.data.tags["candor.kind"] == "ladder"
    assert parent.data.tags["candor.ladder.recommended"] == out["recommended"]
    assert parent.data.params["rungs"] == ",".join(RUNG_NAMES)
    m = parent.data.metrics
    assert m["cv_roc_auc_low"] <= m["cv_roc_auc"] <= m["cv_roc_auc_high"]
    assert m["test_roc_auc"] == pytest.approx(auc["value"]) and m["test_roc_auc_n"] == 143

    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run_id}'"
    )
    assert sorted(c.info.run_name for c in children) == sorted(RUNG_NAMES)

    ds = load_dataset("sklearn:breast_cancer")
    X = ds.frame.drop(columns=[ds.target]).iloc[:20]
    truth = ds.frame[ds.target].iloc[:20].to_numpy()
    labels = np.unique(ds.frame[ds.target])  # models are fitted on codes in sorted label order
    for child in children:
        assert child.data.tags["candor.kind"] == "ladder rung"
        assert child.data.tags["candor.rung.status"] == "done"
        assert child.data.tags["candor.rung.size_format"] == "skops"
        assert child.data.metrics["roc_auc_low"] <= child.data.metrics["roc_auc"]
        files = [a.path for a in client.list_artifacts(child.info.run_id, "model")]
        assert files == ["model/model.skops"]
        local = client.download_artifacts(child.info.run_id, "model/model.skops", str(tmp_path))
        untrusted = sio.get_untrusted_types(file=local)
        model = sio.load(local, trusted=untrusted)
        proba = np.asarray(model.predict_proba(X))
        assert proba.shape == (20, 2)
        assert np.allclose(proba.sum(axis=1), 1.0)
        if child.info.run_name != "dummy":  # a model that learnt: most of these 20 are right
            assert (labels[proba.argmax(axis=1)] == truth).mean() > 0.8

    table = candor_in_process("ladder --rungs dummy,linear --no-track", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    text = _flat(table.stdout)
    assert "Ladder: ROC AUC" in text and "logistic regression" in text
    assert "held-out test rows" in text
    assert len(client.search_runs([parent.info.experiment_id])) == 4  # --no-track logged nothing


def test_ladder_command_errors_are_clear(tmp_path: Path) -> None:
    outside = candor_in_process("ladder --rungs dummy", cwd=tmp_path)
    assert outside.returncode == 2
    assert "candor init" in _flat(outside.stderr) and "Traceback" not in outside.stderr
    candor_in_process("init --source sklearn:iris", cwd=tmp_path)
    for budget in ("abc", "0"):
        bad = candor_in_process(f"ladder --budget {budget} --no-track", cwd=tmp_path)
        assert bad.returncode == 2, (budget, bad.stderr)
        msg = _flat(bad.stderr)
        assert "--budget must be a positive duration" in msg and repr(budget) in msg
        assert "Traceback" not in bad.stderr
    unknown = candor_in_process("ladder --rungs dummy,transformer --no-track", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "unknown rung(s) ['transformer']" in _flat(unknown.stderr)
    assert "Traceback" not in unknown.stderr


def test_stored_models_can_be_read_back_to_class_labels() -> None:
    from candor.ladder import ladder

    ds = load_dataset("sklearn:breast_cancer")
    X, y = ds.frame.drop(columns=[ds.target]), ds.frame[ds.target]
    result = ladder(X, y, rungs=["dummy", "linear"])
    stored = result.rung("linear").model  # what record_ladder serialises to model/model.skops
    predicted = set(stored.predict(X.iloc[:50]))
    documents = json.dumps([result.to_dict(), result.rung("linear").to_dict()], default=str)
    assert predicted <= set(y) or ("benign" in documents and "malignant" in documents)
