"""The edges of the report: what has run in a project (MLflow runs on its current data, the
registry, the prediction log) gathered into one self-contained HTML file, and the figures logged
to MLflow as a ``report`` run.

Nothing is required: a section whose command has not run says which command to run.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from candor.errors import CandorError
from candor.project import Project, write_atomic
from candor.report._model_html import HeldOut, classifier_view, regression_view
from candor.report._page import Section, markdown_html, page, todo
from candor.tracking import Tracker


@dataclass(frozen=True)
class ReportResult:
    """Where the report was written, which sections show results, and what is left to run."""

    path: Path
    run_id: str | None
    sections: dict[str, bool]  # key -> showed results (False: says what to run)
    to_run: list[str] = field(default_factory=list)

    @property
    def sentence(self) -> str:
        shown = sum(self.sections.values())
        tail = f"; still to run: {', '.join(self.to_run)}" if self.to_run else ""
        return f"Wrote {self.path}: {shown} of {len(self.sections)} sections with results{tail}."

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "mlflow_run_id": self.run_id,
            "sections": dict(self.sections),
            "to_run": list(self.to_run),
            "sentence": self.sentence,
        }


@dataclass
class _Gathered:
    """What the report found, section by section, and the figures for MLflow."""

    sections: list[Section] = field(default_factory=list)
    figures: dict[str, str] = field(default_factory=dict)
    to_run: list[str] = field(default_factory=list)
    dataset_hash: str | None = None

    def add(self, key: str, title: str, body: str, ran: bool, command: str = "") -> None:
        self.sections.append(Section(key, title, body, ran))
        if not ran and command and command not in self.to_run:
            self.to_run.append(command)


def _latest(tracker: Tracker, kind: str, tags: dict[str, str]) -> Any | None:
    return tracker.latest_run(kind, tags) if tracker.has_runs else None


def _forecast_runs(
    tracker: Tracker, tags: dict[str, str]
) -> tuple[Any | None, dict[str, Any] | None, dict[str, Any] | None]:
    """The latest forecast run on this data with its ``forecast.json``, and the latest backtest's
    record. Both are recorded as forecast runs; runs from before the two were tagged apart are
    told apart by what their ``forecast.json`` holds."""

    def doc_of(run: Any | None) -> dict[str, Any] | None:
        text = None if run is None else _artifact_text(tracker, run.info.run_id, "forecast.json")
        return None if not text else json.loads(text)

    fc = _latest(tracker, "forecast", tags | {"candor.forecast.backtest": "false"})
    bt = _latest(tracker, "forecast", tags | {"candor.forecast.backtest": "true"})
    fc_doc, bt_doc = doc_of(fc), doc_of(bt)
    if fc is None:  # an older store: the latest forecast run, whichever it was
        old = _latest(tracker, "forecast", tags)
        old_doc = doc_of(old)
        if old_doc is not None and old_doc.get("forecast"):
            fc, fc_doc = old, old_doc
        elif old_doc is not None and bt_doc is None:
            bt_doc = old_doc
    backtest = None if bt_doc is None else bt_doc.get("backtest")
    return fc, fc_doc, backtest


def _artifact_text(tracker: Tracker, run_id: str, name: str) -> str | None:
    with tempfile.TemporaryDirectory(prefix="candor-report-") as tmp:
        path = tracker.download(run_id, name, Path(tmp))
        return None if path is None else path.read_text(encoding="utf-8")


def _strip_heading(fragment: str) -> str:
    """A stored fragment's own ``<h2>`` (the report's section has its title already)."""
    start, end = fragment.find("<h2>"), fragment.find("</h2>")
    if start == -1 or end == -1:
        return fragment
    title = fragment[start + 4 : end]
    return f"{fragment[:start]}<h3>{title}</h3>{fragment[end + 5 :]}"


def _overview(project: Project, ds: Any, split: Any, error: str) -> str:
    cfg = project.config
    b = cfg.budgets
    budgets = [
        f"latency p99 {b.latency_p99_ms:g} ms" if b.latency_p99_ms is not None else "",
        f"model size {b.model_mb:g} MB" if b.model_mb is not None else "",
        f"{b.monthly_usd:g} USD a month" if b.monthly_usd is not None else "",
    ]
    budget_text = ", ".join(x for x in budgets if x) or "none set ([budgets] in candor.toml)"
    costs = project.costs
    cost_text = (
        f"a false positive costs {costs.false_positive:g}, a false negative "
        f"{costs.false_negative:g}"
        if costs
        else "not set ([costs] in candor.toml)"
    )
    goal = (cfg.project.goal or "").strip() or "not stated ([project] goal in candor.toml)"
    minimum = (
        f", at least {cfg.metric.min_acceptable:g}" if cfg.metric.min_acceptable is not None else ""
    )
    out = [
        '<table class="grid"><tbody>',
        f"<tr><th>goal</th><td>{escape(goal)}</td></tr>",
        f"<tr><th>metric</th><td>{escape(cfg.metric.primary)}{escape(minimum)}</td></tr>",
        f"<tr><th>budgets</th><td>{escape(budget_text)}</td></tr>",
        f"<tr><th>costs</th><td>{escape(cost_text)}</td></tr>",
    ]
    if ds is not None:
        out += [
            f"<tr><th>data</th><td>{escape(str(cfg.data.source))}: {len(ds.frame):,} rows, "
            f"{len(ds.features):,} feature columns, target column <code>{escape(ds.target)}</code> ({escape(ds.task)})"
            "</td></tr>",
            f"<tr><th>dataset hash</th><td><code>{escape(ds.content_hash)}</code></td></tr>",
            f"<tr><th>split</th><td>{len(split.train):,} training rows, {len(split.test):,} "
            f"held-out rows ({escape(str(split.strategy))}, seed {cfg.data.seed})</td></tr>",
        ]
    else:
        out.append(f"<tr><th>data</th><td>could not be loaded: {escape(error)}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _registered(project: Project) -> tuple[str, str] | None:
    """(name, alias) of the model to show: a champion first, else a candidate."""
    from candor.registering import project_registry

    if not project.tracker().has_runs:
        return None
    reg = project_registry(project)
    names = reg.names()
    cfg = project.config.registry
    for alias in (cfg.champion, cfg.candidate):
        for name in names:
            if reg.alias_version(name, alias) is not None:
                return name, alias
    return None


def _held_out(project: Project, ds: Any, split: Any, rung: str | None) -> HeldOut | None:
    """The registered champion (or candidate) loaded, else the recommended rung fitted on the
    training rows as ``candor register`` would; None when there is neither."""
    from candor.stats import evaluate

    cfg = project.config
    frame, features = ds.frame, ds.features
    train, test = frame.iloc[split.train], frame.iloc[split.test]
    X, y = test[features], test[ds.target]
    found = _registered(project)
    if found is not None:
        from candor.registering import load

        name, alias = found
        model = load(f"{name}@{alias}", project=project.root)
        source = f"The registered {name} v{model.version} (@{alias}), shown on the held-out rows"
        if model.dataset_hash and model.dataset_hash != ds.content_hash:
            source += f" (it was trained on data {model.dataset_hash[:12]}, not the current data)"
        classes = list(model.classes)
        proba = model.predict_proba if model.task != "regression" else None
        predict: Callable[[Any], np.ndarray] = model.predict
        native = model.model
    elif rung is not None:
        from candor.sizer import _fit_rung

        fitted = _fit_rung(rung, train[features], train[ds.target], ds.task, cfg.data.seed)
        source = (
            f"No model is registered: the ladder's recommendation, {rung}, fitted on the "
            f"{len(train):,} training rows as `candor register` would, shown on the held-out rows"
        )
        classes = [] if ds.task == "regression" else list(np.unique(train[ds.target]))
        labels = np.asarray(classes, dtype=object)
        proba = None if ds.task == "regression" else fitted.predict_proba

        def predict_fitted(X_: Any) -> np.ndarray:
            if ds.task == "regression":
                return np.asarray(fitted.predict(X_), dtype=float)
            return np.asarray(labels[np.argmax(fitted.predict_proba(X_), axis=1)])

        predict = predict_fitted
        native = fitted
    else:
        return None
    costs = project.costs if ds.task == "binary" else None
    try:
        if ds.task == "regression":
            ev = evaluate(
                y.to_numpy(dtype=float), predict(X), task="regression", seed=cfg.data.seed
            )
        else:
            assert proba is not None
            p = np.asarray(proba(X))
            ev = evaluate(
                y.to_numpy(),
                np.asarray(classes, dtype=object)[np.argmax(p, axis=1)],
                p[:, 1] if ds.task == "binary" else p,
                task=ds.task,
                costs=costs,
                level=cfg.metric.level,
                n_resamples=cfg.metric.n_resamples,
                seed=cfg.data.seed,
            )
    except CandorError as exc:
        source += f"; it could not be scored: {exc}"
        ev = None
    return HeldOut(
        source,
        ds.task,
        classes,
        proba,
        predict,
        X,
        y,
        ev,
        cfg.metric.primary,
        costs,
        cfg.data.seed,
        native,
    )


def _stored_fragment(
    g: _Gathered,
    tracker: Tracker,
    kind: str,
    tags: dict[str, str],
    title: str,
    artifact: str,
    command: str,
) -> None:
    """A section from the HTML fragment the last ``kind`` run on this data stored."""
    run = _latest(tracker, kind, tags)
    text = None if run is None else _artifact_text(tracker, run.info.run_id, artifact)
    if text:
        g.add(kind, title, _strip_heading(text), True)
    else:
        g.add(
            kind,
            title,
            todo(f"Nothing recorded on this data yet: run <code>{command}</code>."),
            False,
            command,
        )


def _gather(project: Project) -> _Gathered:
    g = _Gathered()
    tracker = project.tracker()
    ds = split = None
    error = ""
    try:
        ds = project.dataset()
        split = project.split(ds)
    except CandorError as exc:
        error = str(exc)
    g.add(
        "overview", "Goal, budgets and data", _overview(project, ds, split, error), ds is not None
    )
    if ds is None:
        return g
    g.dataset_hash = ds.content_hash
    h = {"candor.dataset_hash": ds.content_hash}

    _stored_fragment(g, tracker, "audit", h, "Data audit", "audit.html", "candor audit")

    ladder = _latest(tracker, "ladder", h)
    rung = None if ladder is None else (ladder.data.tags.get("candor.ladder.recommended") or None)
    board_text = (
        None if ladder is None else _artifact_text(tracker, ladder.info.run_id, "leaderboard.json")
    )
    if ladder is not None and board_text:
        from candor.report._ladder_html import ladder_html

        body, figs = ladder_html(json.loads(board_text), ladder.info.run_id)
        g.figures.update(figs)
        g.add("ladder", "The model ladder", body, True)
    else:
        g.add(
            "ladder",
            "The model ladder",
            todo("No ladder on this data yet: run <code>candor ladder</code>."),
            False,
            "candor ladder",
        )

    held = _held_out(project, ds, split, rung)
    if held is None:
        g.add(
            "model",
            "The model on held-out rows",
            todo(
                "No model to show: run <code>candor ladder</code>, then <code>candor register NAME</code>."
            ),
            False,
            "candor register NAME",
        )
    else:
        body, figs = (classifier_view if held.proba is not None else regression_view)(held)
        g.figures.update(figs)
        g.add("model", "The model on held-out rows", body, True)
        _network_section(g, held)

    forecast, doc, backtest = _forecast_runs(tracker, h)
    if forecast is not None and doc is not None:
        from candor.report._recorded_html import forecast_recorded_html

        run_id = forecast.info.run_id
        svg = _artifact_text(tracker, run_id, "learning_curve.svg")
        sentence = _artifact_text(tracker, run_id, "forecast.txt") or ""
        if svg:
            g.figures["learning_curve.svg"] = svg
        g.add(
            "forecast",
            "Forecast",
            forecast_recorded_html(doc, sentence.strip(), svg, backtest),
            True,
        )
    else:
        from candor.report._recorded_html import backtest_recorded_html

        g.add(
            "forecast",
            "Forecast",
            todo("No forecast yet: run <code>candor forecast</code>.")
            + ("" if backtest is None else backtest_recorded_html(backtest)),
            False,
            "candor forecast",
        )

    _stored_fragment(g, tracker, "size", h, "Size, latency and cost", "size.html", "candor size")

    g.add("serving", "Serving and review", *_serving(project))

    found = _registered(project)
    if found is not None:
        from candor.registering import card

        md = card(project.root, f"{found[0]}@{found[1]}")
        g.add("card", "Model card", f'<div class="card">{markdown_html(md)}</div>', True)
    else:
        g.add(
            "card",
            "Model card",
            todo("No registered model: run <code>candor register NAME</code>."),
            False,
            "candor register NAME",
        )
    return g


def _network_section(g: _Gathered, held: HeldOut) -> None:
    """ "Inside the network" for the CNN rung; other models have no such section (their pictures
    are all in the model's section), so a report's sections stay those of what ran."""
    from candor.report._nn_html import is_network

    if held.proba is None or not is_network(held.native):
        return
    from candor.report._nn_html import network_view

    body, figs = network_view(held, held.native)
    g.figures.update(figs)
    g.add("network", "Inside the network", body, True)


def _serving(project: Project) -> tuple[str, bool]:
    from candor.serving._server import default_log_url

    url = default_log_url(project.root)
    path = Path(url.removeprefix("sqlite:///"))
    if not path.is_file():
        return (
            todo(
                "No prediction log: <code>candor serve NAME@champion</code> writes one as it answers."
            ),
            False,
        )
    from candor.report._recorded_html import serving_html
    from candor.serving import PredictionLog, ReviewQueue, log_kpis

    log = PredictionLog(url)
    try:
        queue = ReviewQueue(log)
        kpis = log_kpis(queue)
        if kpis.total.served == 0:
            return "<p>The prediction log is empty: nothing served yet.</p>", False
        body = serving_html(kpis, queue.count(status="open"), queue.count(status="reviewed"))
    finally:
        log.close()
    return body, True


def report(
    project: str | Path = ".", out: str | Path | None = None, *, track: bool = True
) -> ReportResult:
    """Write the project's report, one self-contained HTML file (default ``report.html`` in the
    project), and log it with its figures to MLflow as a ``report`` run."""
    p = Project.load(project)
    path = Path(out) if out is not None else p.root / "report.html"
    g = _gather(p)
    name = p.config.project.name
    html = page(
        f"candor report: {name}",
        "Every figure with its interval, its n and how it was obtained.",
        g.sections,
    )
    write_atomic(path, html)
    run_id = None
    tracker = p.tracker()
    if track:
        tags = {"candor.kind": "report"}
        if g.dataset_hash:
            tags["candor.dataset_hash"] = g.dataset_hash
        run_id = tracker.log_run(
            "report",
            metrics={"report_sections_shown": float(sum(s.ran for s in g.sections))},
            params={"sections": ",".join(s.key for s in g.sections if s.ran)},
            tags=tags,
            texts={"report.html": html, **{f"figures/{k}": v for k, v in g.figures.items()}},
        )
    return ReportResult(path.resolve(), run_id, {s.key: s.ran for s in g.sections}, g.to_run)
