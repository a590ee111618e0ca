"""Register, promote, load by alias and roll back on a real project with a real MLflow registry
(SQLite): predictions identical to the ladder's model, each gate blocking alone with its
evidence, a forced promotion recorded, a corrupted artifact refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import candor
from candor.errors import ChecksumMismatch, DataError, GateFailed, ModelNotFound
from candor.laddering import LadderRun
from candor.project import Project
from candor.registering import (
    list_models,
    load,
    project_registry,
    promote,
    register,
    rollback,
)
from tests.registry.conftest import toml_edit


def _test_rows(root: Path) -> Any:
    project = Project.load(root)
    ds = project.dataset()
    return ds.frame.iloc[project.split(ds).test][ds.features]


@pytest.mark.parametrize(
    ("rung", "fmt"),
    [("linear", "skops"), ("lightgbm", "skops+lightgbm"), ("xgboost", "skops+xgboost")],
)
def test_register_promote_and_load_by_alias_give_the_ladders_predictions(
    laddered: tuple[Path, LadderRun], rung: str, fmt: str
) -> None:
    root, run = laddered
    name = f"roundtrip-{rung}"
    reg = register(root, name=name, rung=rung)
    assert reg.format == fmt and reg.alias == "candidate" and reg.version == "1"
    promote(root, name=name, version=reg.version)
    model = load(f"{name}@champion", project=root)
    X = _test_rows(root)
    ladder_model = run.result.rung(rung).model
    if not run.result.rung(rung).model_rows.startswith("all "):
        # the ladder kept a fold's model: registering refits it, with its settings, on all rows
        from sklearn.base import clone

        assert "refitted with its settings on all 426 training rows" in reg.source
        project = Project.load(root)
        ds = project.dataset()
        train = ds.frame.iloc[project.split(ds).train]
        codes = np.unique(train[ds.target], return_inverse=True)[1]
        ladder_model = clone(ladder_model).fit(train[ds.features], codes)
    np.testing.assert_array_equal(model.predict_proba(X), ladder_model.predict_proba(X))
    labels = np.asarray(run.result.classes)[ladder_model.predict(X)]
    np.testing.assert_array_equal(model.predict(X), labels)
    assert model.classes == ["benign", "malignant"] and len(model.features) == 30
    assert model.version == "1" and model.alias == "champion" and model.format == fmt
    # lineage: data, audit, evaluation, ladder run, environment
    assert model.lineage["candor.dataset_hash"] == run.dataset_hash
    assert model.lineage["candor.audit.verdict"] in ("clean", "info", "warning")
    assert model.lineage["candor.ladder.run"] == run.run_id
    auc = json.loads(model.lineage["candor.eval.roc_auc"])
    assert auc["low"] <= auc["value"] <= auc["high"] and auc["n"] == len(X)
    assert "candor.env.python" in model.lineage
    # the same version by number, and through a models:/ URI
    assert load(f"models:/{name}/1", project=root).version == "1"


def test_mlflows_own_pyfunc_loader_reads_a_registered_model(
    laddered: tuple[Path, LadderRun],
) -> None:
    import mlflow

    root, _ = laddered
    reg = register(root, name="pyfunc", rung="linear")
    promote(root, name="pyfunc", version=reg.version)
    # MLflow's global URI also sets MLFLOW_TRACKING_URI for the whole process: set back after
    mlflow.set_tracking_uri(Project.load(root).tracker().uri)
    try:
        pm = mlflow.pyfunc.load_model("models:/pyfunc@champion")
        X = _test_rows(root)
        assert list(pm.predict(X)) == list(load("pyfunc@champion", project=root).predict(X))
        proba = pm.predict(X, params={"proba": True})
        assert list(proba.columns) == ["benign", "malignant"]
        schema = pm.metadata.get_input_schema()
        assert schema is not None and len(schema.inputs) == 30
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]


def test_each_gate_failing_alone_blocks_with_its_evidence(laddered: tuple[Path, LadderRun]) -> None:
    root, _ = laddered
    v1 = register(root, name="gates", rung="linear")
    # min_acceptable alone: nothing else can fail on a first champion
    with (
        toml_edit(root, "# min_acceptable = 0.80", "min_acceptable = 0.9999"),
        pytest.raises(GateFailed) as exc,
    ):
        promote(root, name="gates", version=v1.version)
    text = str(exc.value)
    assert "1 of 4 gate(s) failed" in text and "min_acceptable: FAILED" in text
    assert "lower bound" in text and "short of min_acceptable 0.9999" in text
    # budgets alone: set, but nothing sized
    with (
        toml_edit(root, "# model_mb = 100", "model_mb = 100"),
        pytest.raises(GateFailed, match=r"(?s)1 of 4 .*budgets: FAILED.*not sized"),
    ):
        promote(root, name="gates", version=v1.version)
    first = promote(root, name="gates", version=v1.version)
    assert first.outcome == "promoted" and first.previous is None
    # beats_champion alone: the dummy is far worse than the champion on the same rows
    v2 = register(root, name="gates", rung="dummy")
    with pytest.raises(GateFailed) as exc:
        promote(root, name="gates", version=v2.version)
    text = str(exc.value)
    assert "1 of 4 gate(s) failed" in text and "beats_champion: FAILED" in text
    assert "DeLong paired" in text and "n=143 rows" in text
    # the blocked verdict is recorded on the version, the champion unchanged
    registry = project_registry(Project.load(root))
    tags = registry.version("gates", v2.version).tags
    record = json.loads(tags["candor.gates.champion"])
    assert record["outcome"] == "blocked"
    assert [g["gate"] for g in record["gates"] if not g["passed"]] == ["beats_champion"]
    assert registry.alias_version("gates", "champion") == v1.version


def test_a_version_as_good_as_the_champion_passes_within_the_margin(
    laddered: tuple[Path, LadderRun],
) -> None:
    root, _ = laddered
    a = register(root, name="margin", rung="linear")
    promote(root, name="margin", version=a.version)
    b = register(root, name="margin", rung="linear")  # the same model again: difference 0
    p = promote(root, name="margin", version=b.version)
    assert p.outcome == "promoted" and p.previous == a.version
    gate = next(v for v in p.verdicts if v.gate == "beats_champion")
    assert gate.passed and "is no worse than" in gate.evidence and "+0.000" in gate.evidence


def test_audit_gate_blocks_data_with_an_error_finding(tmp_path: Path) -> None:
    import pandas as pd
    from sklearn.datasets import make_classification

    from candor.auditing import audit_project
    from candor.project import init_project

    X, y = make_classification(300, 5, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)]).assign(y=y)
    # every row twice: copies land on both sides of the split (exact duplicates: an error)
    pd.concat([frame, frame]).to_csv(tmp_path / "data.csv", index=False)
    init_project(tmp_path, source="data.csv", target="y")
    audit = audit_project(tmp_path)
    assert audit.report.verdict == "error"
    reg = register(tmp_path, name="leaky", rung="linear")
    assert "no ladder ran" in reg.source
    with pytest.raises(GateFailed) as exc:
        promote(tmp_path, name="leaky", version=reg.version)
    text = str(exc.value)
    assert "1 of 4 gate(s) failed" in text and "audit: FAILED" in text and "error" in text


def test_force_records_who_when_and_why_and_rollback_restores_the_previous(
    laddered: tuple[Path, LadderRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = laddered
    good = register(root, name="forced", rung="linear")
    promote(root, name="forced", version=good.version)
    bad = register(root, name="forced", rung="dummy")
    with pytest.raises(Exception, match="--reason"):
        promote(root, name="forced", version=bad.version, force=True)
    monkeypatch.setenv("CANDOR_USER", "ada")
    p = promote(root, name="forced", version=bad.version, force=True, reason="incident 42")
    assert p.outcome == "forced" and p.who == "ada" and "incident 42" in p.sentence
    registry = project_registry(Project.load(root))
    record = json.loads(registry.version("forced", bad.version).tags["candor.gates.champion"])
    assert record["outcome"] == "forced" and record["who"] == "ada"
    assert record["reason"] == "incident 42" and record["when"].startswith("20")
    assert registry.alias_version("forced", "champion") == bad.version
    back = rollback(root, name="forced")
    assert back.version == good.version and back.previous == bad.version
    assert registry.alias_version("forced", "champion") == good.version
    with pytest.raises(Exception, match="no earlier one"):
        rollback(root, name="forced")
    rows = {r.version: r for r in list_models(root, "forced")}
    assert rows[good.version].aliases == ["champion"]
    assert rows[bad.version].gates == {"champion": "forced"}


def test_a_flipped_byte_in_a_stored_artifact_is_refused(laddered: tuple[Path, LadderRun]) -> None:
    root, _ = laddered
    reg = register(root, name="tampered", rung="linear")
    registry = project_registry(Project.load(root))
    source = registry.version("tampered", reg.version).source
    folder = Path(source.removeprefix("file://"))
    target = folder / "artifacts" / "candor" / "model.skops"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatch, match=r"model\.skops"):
        load("tampered/1", project=root)
    # rewriting CHECKSUMS to match does not help: the registry recorded its hash
    from candor.registry._package import write_checksums

    write_checksums(folder)
    with pytest.raises(ChecksumMismatch, match="registry recorded"):
        load("tampered/1", project=root)


def test_load_names_what_is_missing(laddered: tuple[Path, LadderRun]) -> None:
    root, _ = laddered
    register(root, name="errors", rung="linear")
    with pytest.raises(ModelNotFound, match="no registered model named 'nope'"):
        load("nope@champion", project=root)
    with pytest.raises(ModelNotFound, match="no alias @champion"):
        load("errors@champion", project=root)
    with pytest.raises(ModelNotFound, match="no version 9"):
        load("errors/9", project=root)
    model = load("errors@candidate", project=root)
    X = _test_rows(root)
    with pytest.raises(DataError, match="lacks 1 of the model's 30 columns: mean radius"):
        model.predict(X.drop(columns=["mean radius"]))
    bad = X.head(2).astype(object)
    bad.iloc[0, 0] = "twelve"
    with pytest.raises(DataError, match=r"must be numeric.*'twelve'"):
        model.predict(bad)
    assert model.predict(X.head(1).to_dict("records")[0]).shape == (1,)
    assert candor.load("errors@candidate", project=root).version == "1"


def test_registering_without_a_ladder_or_rung_says_what_to_run(tmp_path: Path) -> None:
    from candor.forecasting import NoRungChosen
    from candor.project import init_project

    init_project(tmp_path, source="sklearn:iris")
    with pytest.raises(NoRungChosen, match="candor ladder"):
        register(tmp_path, name="iris")
    with pytest.raises(ModelNotFound, match="not a model name"):
        register(tmp_path, name="bad@name", rung="linear")


@pytest.mark.slow
@pytest.mark.skipif(
    __import__("importlib").util.find_spec("torch") is None, reason="needs candor[nn]"
)
def test_the_cnn_rung_round_trips_through_the_registry(tmp_path: Path) -> None:
    from candor.project import init_project

    init_project(tmp_path, source="sklearn:digits")
    reg = register(tmp_path, name="digits", rung="cnn")
    assert reg.format == "torch"
    promote(tmp_path, name="digits", version=reg.version, force=True, reason="no audit: a test")
    model = load("digits@champion", project=tmp_path)
    X = _test_rows(tmp_path)
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 10) and np.allclose(proba.sum(axis=1), 1)
    again = load("digits/1", project=tmp_path)
    np.testing.assert_array_equal(again.predict_proba(X), proba)
    assert model.classes == list(range(10))
    # the accuracy recorded at registration is the loaded model's on the same rows
    project = Project.load(tmp_path)
    ds = project.dataset()
    y = ds.y.iloc[project.split(ds).test].to_numpy()
    acc = json.loads(model.lineage["candor.eval.accuracy"])
    assert np.mean(model.predict(X) == y) == pytest.approx(acc["value"])


def test_a_rung_the_ladder_did_not_climb_is_fitted_afresh_and_says_so(
    laddered: tuple[Path, LadderRun],
) -> None:
    root, run = laddered
    reg = register(root, name="afresh", rung="naive_bayes")
    assert reg.ladder_run_id == run.run_id
    assert reg.source == (
        "the naive_bayes rung, fitted on the 426 training rows (the last ladder did not climb it)"
    )
    with pytest.raises(DataError, match="unknown rung 'nope'"):
        register(root, name="afresh", rung="nope")


@pytest.mark.parametrize("rung", ["linear", "lightgbm"])
def test_export_writes_an_onnx_file_that_gives_the_models_answers(
    laddered: tuple[Path, LadderRun], rung: str, tmp_path: Path
) -> None:
    from candor.registering import export_onnx

    root, _ = laddered
    reg = register(root, name=f"onnx-{rung}", rung=rung)
    out = tmp_path / "model.onnx"
    check = export_onnx(root, f"onnx-{rung}/{reg.version}", out)
    assert check.passed and check.n == 143 and out.stat().st_size > 0
    assert "143" in check.sentence
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary file and a rename


def test_export_refuses_a_family_without_a_converter(
    laddered: tuple[Path, LadderRun], tmp_path: Path
) -> None:
    from candor.registering import export_onnx

    root, _ = laddered
    reg = register(root, name="onnx-dummy", rung="dummy")
    out = tmp_path / "dummy.onnx"
    with pytest.raises(DataError, match="Dummy"):
        export_onnx(root, f"onnx-dummy/{reg.version}", out)
    assert not out.exists()


@pytest.mark.parametrize(
    ("source", "task"), [("sklearn:iris", "multiclass"), ("sklearn:diabetes", "regression")]
)
def test_multiclass_and_regression_models_round_trip(
    tmp_path: Path, source: str, task: str
) -> None:
    from candor.project import init_project

    init_project(tmp_path, source=source)
    reg = register(tmp_path, name="m", rung="linear")
    model = load("m@candidate", project=tmp_path)
    X = _test_rows(tmp_path)
    assert model.task == task and reg.evaluation is not None
    if task == "regression":
        assert not hasattr(model, "predict_proba") and model.classes == []
        assert model.predict(X).dtype == float and "rmse" in reg.evaluation.metrics
    else:
        assert model.predict_proba(X).shape == (len(X), 3) and set(model.predict(X)) <= {
            "setosa",
            "versicolor",
            "virginica",
        }


def test_promote_and_load_refuse_unknown_aliases_versions_and_values(
    laddered: tuple[Path, LadderRun],
) -> None:
    from candor.errors import CandorError

    root, _ = laddered
    reg = register(root, name="strict", rung="linear")
    with pytest.raises(CandorError, match="@chmpion is not one of strict's aliases"):
        promote(root, name="strict", version=reg.version, to="chmpion")
    with pytest.raises(ModelNotFound, match="'abc' is not a version"):
        promote(root, name="strict", version="abc")
    with pytest.raises(ModelNotFound, match="not 3"):
        load(3, project=root)  # type: ignore[arg-type]
    model = load("strict@candidate", project=root)
    X = _test_rows(root).head(2).copy()
    X.iloc[0, 0] = float("inf")
    with pytest.raises(DataError, match="infinite value"):
        model.predict(X)


def test_the_budgets_gate_passes_once_candor_size_finds_the_model_within(
    laddered: tuple[Path, LadderRun],
) -> None:
    from candor.sizer import size_project

    root, _ = laddered
    reg = register(root, name="sized", rung="linear")
    with toml_edit(root, "# model_mb = 100", "model_mb = 100"):
        with pytest.raises(GateFailed, match=r"candor size --rung linear"):
            promote(root, name="sized", version=reg.version)
        # model_mb is judged on the saved file's size, which needs no fresh processes: a sizing
        # without measurement carries the same verdict
        size_project(root, rung="linear", measure_it=False)
        p = promote(root, name="sized", version=reg.version)
    gate = next(v for v in p.verdicts if v.gate == "budgets")
    assert gate.passed and "model_mb within 100" in gate.evidence


def test_mlflow_pyfunc_takes_integer_columns_as_they_are(tmp_path: Path) -> None:
    import mlflow
    import pandas as pd
    from sklearn.datasets import make_classification

    from candor.project import init_project

    X, y = make_classification(200, 3, n_informative=2, n_redundant=0, random_state=0)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        age=(X[:, 0] * 10 + 40).astype(int), y=y
    )
    frame.to_csv(tmp_path / "data.csv", index=False)
    init_project(tmp_path, source="data.csv", target="y")
    register(tmp_path, name="ints", rung="linear")
    rows = frame.drop(columns="y").head(5)
    assert rows["age"].dtype.kind == "i"
    mlflow.set_tracking_uri(Project.load(tmp_path).tracker().uri)
    try:
        pm = mlflow.pyfunc.load_model("models:/ints@candidate")
        assert list(pm.predict(rows)) == list(
            load("ints@candidate", project=tmp_path).predict(rows)
        )
    finally:
        mlflow.set_tracking_uri(None)  # type: ignore[arg-type]
