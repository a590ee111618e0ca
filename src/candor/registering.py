"""The edges of the model registry: a project's model registered with its lineage and card,
promoted through the release gates of candor.toml, rolled back, listed and loaded.

The registry is MLflow's (the project's SQLite store by default, an MLflow server for teams);
candor adds the model in a safe format with checksums, the lineage tags, the gates' verdicts and
the history of alias moves.
"""

from __future__ import annotations

import getpass
import json
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from candor.config import find_config
from candor.data import Dataset, Split
from candor.errors import CandorError, ChecksumMismatch, DataError, GateFailed, ModelNotFound
from candor.forecasting import NoRungChosen
from candor.project import Project
from candor.registry._card import model_card
from candor.registry._gates import (
    GateVerdict,
    judge_audit,
    judge_budgets,
    judge_champion,
    judge_min_acceptable,
)
from candor.registry._loaded import LoadedModel
from candor.registry._novelty import NoveltyProfile, conformal_bands
from candor.registry._package import build_package, candor_folder, plain, verify_checksums
from candor.registry._store import ModelRef, Registry, parse_ref
from candor.stats import Estimate, Evaluation, compare, evaluate
from candor.stats._evaluate import get_metric
from candor.tracking import Tracker, environment_tags, estimate_metrics, git_commit

T_CHECKSUM = "candor.checksum"
#: metrics with no natural scale: the champion margin is a share of the champion's value
UNBOUNDED = frozenset({"rmse", "mae", "log_loss", "cost"})


def _who() -> str:
    """Who acts: ``CANDOR_USER``, else the login name."""
    try:
        return os.environ.get("CANDOR_USER") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def project_registry(project: Project) -> Registry:
    return Registry(project.tracker(), project.workspace / "registry.lock")


# ---- register ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A new model version, its evidence and where it is recorded."""

    name: str
    version: str
    alias: str | None
    rung: str
    source: str
    run_id: str
    ladder_run_id: str | None
    dataset_hash: str
    format: str
    checksum: str
    evaluation: Evaluation | None
    primary: str
    card: str

    @property
    def sentence(self) -> str:
        score = ""
        if self.evaluation is not None and self.primary in self.evaluation.metrics:
            e = self.evaluation[self.primary]
            score = f"; held-out {self.primary} {e.format()} (n={e.n:,}, {e.method})"
        alias = f" as @{self.alias}" if self.alias else ""
        return (
            f"Registered {self.name} v{self.version}{alias}: {self.source}, stored as "
            f"{self.format} (sha256 {self.checksum[:12]}){score}."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "rung": self.rung,
            "source": self.source,
            "mlflow_run_id": self.run_id,
            "ladder_run_id": self.ladder_run_id,
            "dataset_hash": self.dataset_hash,
            "format": self.format,
            "checksum": self.checksum,
            "evaluation": None if self.evaluation is None else self.evaluation.to_dict(),
            "sentence": self.sentence,
        }


def _ladder_run(tracker: Tracker, dataset_hash: str, run: str | None) -> tuple[Any, str | None]:
    """The ladder parent run to take the model from, and the rung a rung run names."""
    if run is None:
        if not tracker.has_runs:
            return None, None
        return tracker.latest_run("ladder", {"candor.dataset_hash": dataset_hash}), None
    try:
        r = tracker.get_run(run)
    except Exception as exc:
        raise ModelNotFound(
            f"no MLflow run {run!r} in {tracker.uri}: give a ladder run id"
        ) from exc
    kind = r.data.tags.get("candor.kind")
    rung = None
    if kind == "ladder rung":
        rung = r.data.params.get("rung") or r.info.run_name
        r = tracker.get_run(r.data.tags["mlflow.parentRunId"])
    elif kind != "ladder":
        raise DataError(
            f"run {run} is {'a ' + kind if kind else 'not a candor'} run; give a ladder run or "
            "one of its rung runs (`candor ladder` prints its id)"
        )
    if r.data.tags.get("candor.dataset_hash") != dataset_hash:
        raise DataError(
            f"ladder run {r.info.run_id} was climbed on dataset "
            f"{r.data.tags.get('candor.dataset_hash', '?')[:12]}, but the project's data is now "
            f"{dataset_hash[:12]}: its scores do not describe this data. Run `candor ladder` again"
        )
    return r, rung


def _model_from_ladder(
    tracker: Tracker, parent: Any, rung: str, X: pd.DataFrame, codes: Any, folder: Path
) -> tuple[Any, str, str] | None:
    """The rung's model from the ladder run (refitted on all training rows when the ladder kept
    only a fold's model), with where it came from and the rows it was fitted on; None when the
    ladder did not climb that rung."""
    from sklearn.base import clone

    from candor.sizer import MODEL_ARTIFACTS
    from candor.sizing._measure import load_model

    child = tracker.child_run(parent.info.run_id, rung)
    if child is None:
        return None
    path = None
    for artifact in MODEL_ARTIFACTS:
        path = tracker.download(child.info.run_id, artifact, folder)
        if path is not None:
            break
    if path is None:
        status = child.data.tags.get("candor.rung.status", "?")
        reason = child.data.tags.get("candor.rung.reason", "")
        raise DataError(
            f"rung {rung!r} of ladder run {parent.info.run_id} kept no model ({status}"
            f"{': ' + reason if reason else ''}); register a rung that finished"
        )
    model, _ = load_model(path)
    doc_path = tracker.download(child.info.run_id, "rung.json", folder)
    rows = ""
    if doc_path is not None:
        rows = json.loads(doc_path.read_text()).get("model_rows", "")
    if rows.startswith("all "):
        return model, f"the {rung} model of ladder run {parent.info.run_id}", rows
    refit = clone(model).fit(X, codes)
    return (
        refit,
        f"the {rung} model of ladder run {parent.info.run_id}, refitted with its settings on all "
        f"{len(X):,} training rows",
        f"all {len(X):,} training rows",
    )


def _audit_evidence(tracker: Tracker, dataset_hash: str) -> dict[str, Any] | None:
    if not tracker.has_runs:
        return None
    run = tracker.latest_run("audit", {"candor.dataset_hash": dataset_hash})
    if run is None:
        return None
    m = run.data.metrics
    findings: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        doc = tracker.download(run.info.run_id, "audit.json", Path(tmp))
        if doc is not None:
            findings = [
                {"severity": f["severity"], "title": f["title"], "text": f["text"]}
                for f in json.loads(doc.read_text()).get("findings", [])
            ]
    return {
        "verdict": run.data.tags.get("candor.audit.verdict", "?"),
        "run": run.info.run_id,
        "counts": {sev: int(m.get(f"audit_{sev}s", 0)) for sev in ("error", "warning", "info")},
        "findings": findings,
    }


def _size_evidence(tracker: Tracker, dataset_hash: str, rung: str) -> dict[str, Any] | None:
    if not tracker.has_runs or not rung:
        return None
    run = tracker.latest_run(
        "size", {"candor.dataset_hash": dataset_hash, "candor.size.rung": rung}
    )
    if run is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        doc = tracker.download(run.info.run_id, "size.json", Path(tmp))
        size = json.loads(doc.read_text()).get("size", {}) if doc is not None else {}
    return {
        "run": run.info.run_id,
        "sentence": size.get("sentence", ""),
        "verdicts": size.get("budgets", []),
        "source": run.data.tags.get("candor.size.source", ""),
        "metrics": dict(run.data.metrics),
    }


def _ladder_evidence(tracker: Tracker, parent: Any) -> dict[str, Any] | None:
    if parent is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        doc = tracker.download(parent.info.run_id, "leaderboard.json", Path(tmp))
        if doc is None:
            return None
        board = json.loads(doc.read_text())
    return {
        "run": parent.info.run_id,
        "metric": board.get("metric"),
        "recommended": board.get("recommended"),
        "n_evaluated": board.get("n_evaluated"),
        "sentence": board.get("sentence", ""),
        "rungs": board.get("rungs", []),
    }


def _evaluate(
    model: LoadedModel, X: pd.DataFrame, y: pd.Series, project: Project
) -> tuple[Evaluation | None, str]:
    cfg = project.config
    try:
        if model.task == "regression":
            ev = evaluate(
                y.to_numpy(dtype=float),
                model.predict(X),
                task="regression",
                level=cfg.metric.level,
                n_resamples=cfg.metric.n_resamples,
                seed=cfg.data.seed,
            )
            return ev, ""
        unseen = sorted(set(y) - set(model.classes), key=str)
        if unseen:
            return None, f"the test split has classes the training split lacks: {unseen}"
        proba = model.predict_proba(X)
        score = proba[:, 1] if model.task == "binary" else proba
        ev = evaluate(
            y.to_numpy(),
            model.predict(X),
            score,
            task=model.task,
            costs=project.costs if model.task == "binary" else None,
            level=cfg.metric.level,
            n_resamples=cfg.metric.n_resamples,
            seed=cfg.data.seed,
        )
        return ev, ""
    except CandorError as exc:
        return None, f"the test split could not be scored: {exc}"


def register(
    path: str | Path = ".",
    *,
    name: str,
    run: str | None = None,
    rung: str | None = None,
    alias: str | None = None,
    allow_pickle: bool = False,
    data: tuple[Dataset, Split] | None = None,
    lineage: dict[str, str] | None = None,
) -> Registration:
    """Put a project's ladder rung into the model registry as a new version of ``name``.

    The model is the rung's from the last ladder on this data (or from ``run``), refitted on all
    training rows when the ladder kept only a fold's model, or the rung fitted afresh when no
    ladder ran. It is evaluated on the held-out test rows, stored in a safe format with checksums
    as an MLflow pyfunc model, tagged with its lineage, given a model card, and the ``candidate``
    alias (``alias=""`` for none).

    ``data`` trains and evaluates on another version of the project's data than candor.toml's
    (a feedback export, with a split whose held-out rows are the project's own); ``lineage`` adds
    tags to the version.
    """
    from candor.sizer import _fit_rung

    project = Project.load(path)
    cfg = project.config
    if not name or any(ch in name for ch in "@/:'\"") or name != name.strip():
        raise ModelNotFound(
            f"{name!r} is not a model name: use letters, digits, '-', '_' or '.' (e.g. churn)"
        )
    ds, split = data if data is not None else (project.dataset(), None)
    split = split if split is not None else project.split(ds)
    frame, features = ds.frame, ds.features
    train, test = frame.iloc[split.train], frame.iloc[split.test]
    X, y = train[features], train[ds.target]
    tracker = project.tracker()
    parent, run_rung = _ladder_run(tracker, ds.content_hash, run)
    rung = rung or run_rung
    if rung is None and parent is not None:
        rung = parent.data.tags.get("candor.ladder.recommended") or None
    if rung is None:
        raise NoRungChosen(
            "nothing to register: no ladder run on this data recommends a rung. Run `candor "
            "ladder` first, or name one with --rung (e.g. --rung hist_gb)"
        )
    classes: list[Any] = []
    codes: Any = y
    if ds.task != "regression":
        uniq, codes = np.unique(np.asarray(y), return_inverse=True)
        classes = [plain(c) for c in uniq]
    with tempfile.TemporaryDirectory(prefix="candor-register-") as tmp:
        work = Path(tmp)
        found = None
        if parent is not None:
            found = _model_from_ladder(tracker, parent, rung, X, codes, work)
        if found is not None:
            model, source, model_rows = found
        else:
            model = _fit_rung(rung, X, y, ds.task, cfg.data.seed)
            why = "no ladder ran" if parent is None else "the last ladder did not climb it"
            source = f"the {rung} rung, fitted on the {len(X):,} training rows ({why})"
            model_rows = f"all {len(X):,} training rows"
        folder = work / "package" / "model"
        folder.parent.mkdir()
        manifest, checksum, engine = build_package(
            model,
            folder,
            task=ds.task,
            classes=classes,
            example=X.head(3),
            allow_pickle=allow_pickle,
            novelty=_novelty_profile(model, X, test[features], test[ds.target], ds.task, cfg),
            serving_rows=test[features],
        )
        verify_checksums(folder, checksum, "the packaged model")
        loaded = LoadedModel.from_folder(candor_folder(folder), allow_pickle=allow_pickle)
        evaluation, eval_note = _evaluate(loaded, test[features], test[ds.target], project)
        audit = _audit_evidence(tracker, ds.content_hash)
        size = _size_evidence(tracker, ds.content_hash, rung)
        ladder = _ladder_evidence(tracker, parent)
        commit = git_commit(project.root)
        tags = {
            "candor.kind": "registration",
            "candor.model": name,
            "candor.rung": rung,
            "candor.task": ds.task,
            "candor.format": manifest.format,
            "candor.dataset_hash": ds.content_hash,
            "candor.audit.verdict": audit["verdict"] if audit else "none",
            "candor.model_rows": model_rows,
            "candor.source": source,
            T_CHECKSUM: checksum,
            "candor.serving.engine": engine.partition(":")[0],
            "candor.registered_by": _who(),
            **(lineage or {}),
        }
        if audit:
            tags["candor.audit.run"] = audit["run"]
        if parent is not None:
            tags["candor.ladder.run"] = parent.info.run_id
        if commit:
            tags["candor.git_commit"] = commit
        if size:
            tags["candor.size.run"] = size["run"]
            for v in size["verdicts"]:
                tags[f"candor.budget.{v['budget']}"] = v["verdict"]
            for key in ("size_file_bytes", "size_p99_ms", "size_monthly_usd"):
                if key in size["metrics"]:
                    tags[f"candor.{key.replace('_', '.', 1)}"] = f"{size['metrics'][key]:.6g}"
        if evaluation is not None:
            for metric, est in evaluation.metrics.items():
                tags[f"candor.eval.{metric}"] = json.dumps(est.to_dict())
            tags["candor.eval.n_test"] = str(evaluation.n)
        run_id = tracker.log_run(
            f"register {name}",
            metrics={} if evaluation is None else estimate_metrics("test_", evaluation.metrics),
            params={"model": name, "rung": rung, "format": manifest.format},
            tags=tags,
            documents={
                "evaluation.json": {} if evaluation is None else evaluation.to_dict(),
                "manifest.json": manifest.to_dict(),
            },
        )
        artifact_uri = tracker.log_folder(run_id, folder, "model")
        version_tags = {**tags, "candor.registration.run": run_id, **environment_tags()}
        version_tags.pop("candor.kind")
        registry = project_registry(project)
        with registry.locked():
            registry.ensure_model(name, cfg.project.goal)
            mv = registry.create_version(name, artifact_uri, run_id, version_tags)
            version = str(mv.version)
            alias = cfg.registry.candidate if alias is None else alias
            if alias:
                registry.set_alias(name, alias, version)
        facts = {
            "name": name,
            "version": version,
            "rung": rung,
            "rung_label": _rung_label(rung, ds.task),
            "task": ds.task,
            "format": manifest.format,
            "engine": engine,
            "registered": _now(),
            "who": _who(),
            "goal": cfg.project.goal,
            "classes": classes,
            "features": [f.to_dict() for f in manifest.features],
            "model_rows": model_rows,
            "primary": cfg.metric.primary,
            "data": {
                "source": cfg.data.source if data is None else ds.source,
                "hash": ds.content_hash,
                "rows": len(frame),
                "n_train": len(train),
                "n_test": len(test),
                "split": split.strategy,
            },
            "audit": audit,
            "evaluation": None if evaluation is None else evaluation.to_dict(),
            "evaluation_note": eval_note,
            "ladder": ladder,
            "size": size,
            "lineage": {
                k: v
                for k, v in version_tags.items()
                if not k.startswith(("candor.eval.", "candor.env.candor"))
            },
        }
        card = model_card(facts)
        tracker.log_text(run_id, card, "model_card.md")
        registry.describe(name, version, card)
    return Registration(
        name,
        version,
        alias or None,
        rung,
        source,
        run_id,
        None if parent is None else parent.info.run_id,
        ds.content_hash,
        manifest.format,
        checksum,
        evaluation,
        cfg.metric.primary,
        card,
    )


def _novelty_profile(
    model: Any, X: pd.DataFrame, X_test: pd.DataFrame, y_test: Any, task: str, cfg: Any
) -> bytes:
    """The training rows' novelty profile; for a regression, with prediction intervals by
    novelty band calibrated on the held-out rows (``candor serve`` answers with them)."""
    profile = NoveltyProfile.fit(X, seed=cfg.data.seed)
    if task == "regression" and len(X_test):
        try:
            residuals = np.asarray(y_test, dtype=float) - np.asarray(model.predict(X_test), float)
        except Exception:  # a model that cannot predict a frame here gets no intervals
            return profile.to_json()
        scores = np.array([n.score for n in profile.score(X_test)])
        profile = profile.with_conformal(conformal_bands(residuals, scores))
    return profile.to_json()


def _rung_label(rung: str, task: str) -> str:
    from candor.ladder import RUNGS

    spec = RUNGS.get(rung)
    return spec.label_for(task) if spec is not None else rung


# ---- load ----------------------------------------------------------------------------------------


def _tracker_for(project: str | Path | None, tracking_uri: str | None) -> tuple[Tracker, Path]:
    """The store a reference is looked up in: ``tracking_uri``, else the project's (``project``
    or the nearest candor.toml), else ``MLFLOW_TRACKING_URI``."""
    if tracking_uri:
        return Tracker(tracking_uri, "candor", None), Path.cwd() / ".candor" / "registry.lock"
    if project is not None or find_config(Path.cwd()) is not None:
        p = Project.load(project or ".")
        return p.tracker(), p.workspace / "registry.lock"
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if uri:
        return Tracker(uri, "candor", None), Path.cwd() / ".candor" / "registry.lock"
    raise ModelNotFound(
        "no candor.toml here or above, and MLFLOW_TRACKING_URI is not set: run inside a project, "
        "pass project='path/to/project', or set MLFLOW_TRACKING_URI to the registry's store"
    )


def load(
    ref: str,
    *,
    project: str | Path | None = None,
    tracking_uri: str | None = None,
    allow_pickle: bool = False,
) -> LoadedModel:
    """A registered model, checked against its recorded checksums and loaded from its safe
    format: ``candor.load("churn@champion")``, ``"churn/3"``, ``"models:/churn@champion"``.

    The same object for every family: ``predict``, ``predict_proba`` (classifiers), ``features``
    (the input schema) and ``lineage``. A changed file is a ``ChecksumMismatch``; a model stored as
    a pickle is refused unless ``allow_pickle=True``.
    """
    tracker, lock = _tracker_for(project, tracking_uri)
    registry = Registry(tracker, lock)
    mref = parse_ref(ref)
    return load_version(registry, mref, allow_pickle=allow_pickle)


def load_version(registry: Registry, ref: ModelRef, *, allow_pickle: bool = False) -> LoadedModel:
    mv = registry.resolve(ref)
    tags = dict(mv.tags or {})
    expected = tags.get(T_CHECKSUM)
    what = f"{mv.name} v{mv.version}"
    if expected is None:
        raise ChecksumMismatch(
            f"{what} has no recorded checksum: it was not registered by candor. Load it with "
            "mlflow.pyfunc.load_model, or register it with `candor register`"
        )
    with tempfile.TemporaryDirectory(prefix="candor-load-") as tmp:
        root = registry.download(mv, Path(tmp))
        verify_checksums(root, expected, what)
        return LoadedModel.from_folder(
            candor_folder(root),
            allow_pickle=allow_pickle,
            name=mv.name,
            version=str(mv.version),
            alias=ref.alias,
            lineage=tags,
        )


# ---- promote and roll back -----------------------------------------------------------------------


@dataclass(frozen=True)
class Promotion:
    """An alias moved (or not) and the gates' verdicts behind it."""

    name: str
    version: str
    alias: str
    previous: str | None
    verdicts: list[GateVerdict]
    outcome: str  # promoted | forced | already there | rolled back
    who: str
    when: str
    reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> list[GateVerdict]:
        return [v for v in self.verdicts if not v.passed]

    @property
    def sentence(self) -> str:
        if self.outcome == "already there":
            return f"{self.name} v{self.version} is already @{self.alias}; nothing moved."
        was = f" (was v{self.previous})" if self.previous else ""
        if self.outcome == "rolled back":
            return (
                f"Rolled @{self.alias} of {self.name} back to v{self.version}{was}, by {self.who}."
            )
        if self.outcome == "forced":
            gates = ", ".join(v.gate for v in self.failed)
            return (
                f"Forced {self.name} v{self.version} to @{self.alias}{was} past the failed "
                f"gate(s) {gates}, by {self.who} at {self.when}: {self.reason}"
            )
        return (
            f"Promoted {self.name} v{self.version} to @{self.alias}{was}: all "
            f"{len(self.verdicts)} gate(s) passed."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "alias": self.alias,
            "previous": self.previous,
            "outcome": self.outcome,
            "who": self.who,
            "when": self.when,
            "reason": self.reason,
            "gates": [v.to_dict() for v in self.verdicts],
            "sentence": self.sentence,
        }


def _estimate(tags: dict[str, str], metric: str) -> Estimate | None:
    raw = tags.get(f"candor.eval.{metric}")
    if not raw:
        return None
    d = json.loads(raw)
    return Estimate(d["value"], d["low"], d["high"], d["level"], d["n"], d["method"])


def _compare_on_test(
    project: Project, registry: Registry, name: str, version: str, champion: str
) -> tuple[Any, str]:
    """The paired comparison of two versions on the project's held-out rows."""
    cfg = project.config
    ds = project.dataset()
    split = project.split(ds)
    test = ds.frame.iloc[split.test]
    a = load_version(registry, ModelRef(name, version=version))
    b = load_version(registry, ModelRef(name, version=champion))
    note = ""
    if a.dataset_hash != b.dataset_hash:
        note = (
            f"v{version} and v{champion} were trained on different data "
            f"({(a.dataset_hash or '?')[:12]} vs {(b.dataset_hash or '?')[:12]}); compared on "
            f"the project's current held-out rows"
        )
    if {f.name for f in a.features} != {f.name for f in b.features}:
        return None, f"v{version} and v{champion} take different input columns: not comparable"
    try:
        X, y = test, test[ds.target]
        metric = cfg.metric.primary
        m = get_metric(metric, ds.task)
        kw: dict[str, Any] = {
            "metric": metric,
            "names": (f"v{version}", f"v{champion}"),
            "level": cfg.metric.level,
            "n_resamples": cfg.metric.n_resamples,
            "seed": cfg.data.seed,
            "costs": project.costs,
        }
        if ds.task == "regression":
            cmp = compare(
                y.to_numpy(dtype=float), a.predict(X), b.predict(X), task="regression", **kw
            )
        else:
            pa, pb = a.predict_proba(X), b.predict_proba(X)
            if ds.task == "binary":
                pa, pb = pa[:, 1], pb[:, 1]
            cmp = compare(
                y.to_numpy(),
                a.predict(X) if not m.needs_score else None,
                b.predict(X) if not m.needs_score else None,
                score_a=pa,
                score_b=pb,
                task=ds.task,
                **kw,
            )
    except CandorError as exc:
        return None, f"could not compare on the held-out rows: {exc}"
    return cmp, note


def run_gates(
    project: Project, registry: Registry, name: str, version: str, alias: str
) -> list[GateVerdict]:
    """The gates ``[registry] gates`` lists, for ``version`` taking ``alias``."""
    cfg = project.config
    mv = registry.version(name, version)
    tags = dict(mv.tags or {})
    tracker = registry.tracker
    data_hash = tags.get("candor.dataset_hash", "")
    primary = cfg.metric.primary
    task = tags.get("candor.task", "binary")
    greater = get_metric(primary, task).greater_is_better
    out: list[GateVerdict] = []
    for gate in cfg.registry.gates:
        if gate == "audit":
            audit = _audit_evidence(tracker, data_hash)
            out.append(
                judge_audit(
                    audit["verdict"] if audit else None,
                    audit["run"] if audit else None,
                    audit["counts"] if audit else {},
                )
            )
        elif gate == "min_acceptable":
            out.append(
                judge_min_acceptable(
                    primary, _estimate(tags, primary), cfg.metric.min_acceptable, greater
                )
            )
        elif gate == "beats_champion":
            champion = registry.alias_version(name, alias)
            cmp, note = (None, "")
            if champion is not None:
                cmp, note = _compare_on_test(project, registry, name, version, champion)
            margin, how = cfg.registry.margin, ""
            if cmp is not None and primary in UNBOUNDED:
                # RMSE, MAE, log loss and cost have no natural scale: the margin is a share
                margin = cfg.registry.margin * abs(cmp.b.value)
                how = f" ({cfg.registry.margin:g} of the champion's {cmp.b.value:.4g})"
            out.append(
                judge_champion(
                    cmp,
                    None if champion is None else f"v{champion} (@{alias})",
                    margin,
                    greater,
                    note,
                    how,
                )
            )
        elif gate == "budgets":
            budgets = {
                "latency_p99_ms": cfg.budgets.latency_p99_ms,
                "model_mb": cfg.budgets.model_mb,
                "monthly_usd": cfg.budgets.monthly_usd,
            }
            size = _size_evidence(tracker, data_hash, tags.get("candor.rung", ""))
            verdicts = {v["budget"]: v["verdict"] for v in (size or {}).get("verdicts", [])}
            details = {v["budget"]: v["evidence"] for v in (size or {}).get("verdicts", [])}
            out.append(
                judge_budgets(
                    budgets,
                    verdicts,
                    details,
                    (size or {}).get("run", ""),
                    tags.get("candor.rung", "RUNG"),
                )
            )
    return out


def promote(
    path: str | Path = ".",
    *,
    name: str,
    version: str,
    to: str | None = None,
    force: bool = False,
    reason: str | None = None,
) -> Promotion:
    """Move ``to`` (default ``[registry] champion``) to ``version`` if every release gate passes.

    A failing gate raises ``GateFailed`` naming each failed gate and its evidence; ``force`` with a
    ``reason`` overrides it and records who, when and why. The verdicts are recorded on the
    version either way.
    """
    project = Project.load(path)
    cfg = project.config
    alias = to or cfg.registry.champion
    if force and not (reason or "").strip():
        raise CandorError('--force needs --reason "why the gates may be overridden"')
    registry = project_registry(project)
    version = str(registry.version(name, str(version)).version)
    known = {cfg.registry.champion, cfg.registry.candidate} | set(
        getattr(registry.model(name), "aliases", {}) or {}
    )
    if alias not in known:
        raise CandorError(
            f"@{alias} is not one of {name}'s aliases ({', '.join('@' + a for a in sorted(known))}); "
            "a new alias is added with [registry] champion or candidate in candor.toml"
        )
    who, when = _who(), _now()
    current = registry.alias_version(name, alias)
    if current == version:
        return Promotion(name, version, alias, current, [], "already there", who, when)
    verdicts = run_gates(project, registry, name, version, alias)
    failed = [v for v in verdicts if not v.passed]
    outcome = "blocked" if failed and not force else ("forced" if failed else "promoted")
    record = {
        "alias": alias,
        "outcome": outcome,
        "who": who,
        "when": when,
        "reason": reason or "",
        "gates": [v.to_dict() for v in verdicts],
    }
    registry.tag_version(name, version, f"candor.gates.{alias}", json.dumps(record))
    if outcome == "blocked":
        lines = "\n  ".join(str(v) for v in failed)
        raise GateFailed(
            f"{name} v{version} was not promoted to @{alias}: {len(failed)} of "
            f"{len(verdicts)} gate(s) failed:\n  {lines}\nFix what they name, or override with "
            '--force --reason "..." (recorded on the version).'
        )
    with registry.locked():
        previous = registry.alias_version(name, alias)
        registry.set_alias(name, alias, version)
        registry.record_event(
            name,
            alias,
            {
                "action": "promote",
                "from": previous,
                "to": version,
                "who": who,
                "when": when,
                "outcome": outcome,
                "reason": reason or "",
                "failed": [v.gate for v in failed],
            },
        )
    return Promotion(name, version, alias, previous, verdicts, outcome, who, when, reason or "")


def alias_history(events: list[dict[str, Any]], current: str | None) -> list[str]:
    """The versions an alias has held, oldest first, replaying promotions (push) and rollbacks
    (pop); ends with ``current`` even if it was moved outside candor.

    >>> alias_history([{"action": "promote", "to": "1"}, {"action": "promote", "to": "2"}], "2")
    ['1', '2']
    >>> alias_history([{"action": "promote", "to": "1"}, {"action": "promote", "to": "2"},
    ...                {"action": "rollback", "to": "1"}], "1")
    ['1']
    """
    stack: list[str] = []
    for e in events:
        if e.get("action") == "rollback":
            while stack and stack[-1] != e.get("to"):
                stack.pop()
            if not stack:
                stack.append(str(e.get("to")))
        else:
            stack.append(str(e.get("to")))
    if current is not None and (not stack or stack[-1] != current):
        stack.append(current)
    return stack


def rollback(
    path: str | Path = ".", *, name: str, alias: str | None = None, reason: str | None = None
) -> Promotion:
    """Move ``alias`` (default ``[registry] champion``) back to the version it held before."""
    project = Project.load(path)
    alias = alias or project.config.registry.champion
    registry = project_registry(project)
    registry.model(name)
    who, when = _who(), _now()
    with registry.locked():
        current = registry.alias_version(name, alias)
        if current is None:
            raise ModelNotFound(f"{name!r} has no @{alias} to roll back")
        history = alias_history(registry.events(name, alias), current)
        if len(history) < 2:
            raise CandorError(
                f"{name} v{current} is the first @{alias} candor recorded: there is no earlier "
                f"one to roll back to (promote another version with `candor promote {name} "
                f"VERSION --to {alias}`)"
            )
        target = history[-2]
        registry.set_alias(name, alias, target)
        registry.record_event(
            name,
            alias,
            {
                "action": "rollback",
                "from": current,
                "to": target,
                "who": who,
                "when": when,
                "reason": reason or "",
            },
        )
    return Promotion(name, target, alias, current, [], "rolled back", who, when, reason or "")


# ---- list ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    """One version as ``candor models`` lists it."""

    name: str
    version: str
    created: str
    rung: str
    format: str
    dataset_hash: str
    primary: str
    score: Estimate | None
    aliases: list[str]
    gates: dict[str, str]  # alias -> outcome of its last gate run

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "created": self.created,
            "rung": self.rung,
            "format": self.format,
            "dataset_hash": self.dataset_hash,
            "primary": self.primary,
            "score": None if self.score is None else self.score.to_dict(),
            "aliases": self.aliases,
            "gates": self.gates,
        }


def list_models(path: str | Path = ".", name: str | None = None) -> list[VersionRow]:
    """Every version of every registered model (or of ``name``), newest first per model."""
    project = Project.load(path)
    primary = project.config.metric.primary
    registry = project_registry(project)
    names = [name] if name else registry.names()
    rows: list[VersionRow] = []
    for n in names:
        model = registry.model(n)
        by_version: dict[str, list[str]] = {}
        for a, v in (getattr(model, "aliases", {}) or {}).items():
            by_version.setdefault(str(v), []).append(a)
        for mv in registry.versions(n):
            tags = dict(mv.tags or {})
            gates = {}
            for k, v in tags.items():
                if k.startswith("candor.gates."):
                    try:
                        gates[k.removeprefix("candor.gates.")] = json.loads(v)["outcome"]
                    except (json.JSONDecodeError, KeyError):
                        continue
            rows.append(
                VersionRow(
                    n,
                    str(mv.version),
                    time.strftime("%Y-%m-%d %H:%M", time.gmtime(mv.creation_timestamp / 1000)),
                    tags.get("candor.rung", ""),
                    tags.get("candor.format", ""),
                    tags.get("candor.dataset_hash", ""),
                    primary,
                    _estimate(tags, primary),
                    sorted(by_version.get(str(mv.version), [])),
                    gates,
                )
            )
    return rows


def card(path: str | Path = ".", ref: str = "") -> str:
    """The model card of a registered version (Markdown)."""
    project = Project.load(path)
    mv = project_registry(project).resolve(parse_ref(ref))
    return str(mv.description or f"{mv.name} v{mv.version} has no model card")


# ---- export --------------------------------------------------------------------------------------


def export_onnx(path: str | Path, ref: str, out: str | Path) -> Any:
    """Write a registered model as ONNX to ``out``, after checking that ONNX Runtime gives the
    model's own answers on the project's held-out rows; a failed check writes nothing."""
    from candor.project import write_bytes_atomic
    from candor.registry._onnx import check_loaded, export_model  # says what to install

    project = Project.load(path)
    registry = project_registry(project)
    model = load_version(registry, parse_ref(ref))
    ds = project.dataset()
    split = project.split(ds)
    X_test = ds.frame.iloc[split.test][[f.name for f in model.features]]
    data = export_model(model, X_test.head(50))
    check = check_loaded(data, model, X_test)
    if not check.passed:
        raise DataError(f"{model.name} v{model.version} was not exported: {check.sentence}")
    write_bytes_atomic(Path(out), data)
    return check
