"""The edges of the forecast: a project's training split in, the rung chosen from the last ladder
(or given), the anchors and forecasts recorded in MLflow with a plot of the curve."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from candor.errors import CandorError
from candor.forecast import BacktestResult, ForecastResult, backtest, forecast
from candor.forecast._run import DEFAULT_FRACTIONS, DEFAULT_SCALES, Progress, check_target_score
from candor.project import Project
from candor.stats import METRICS
from candor.tracking import Tracker, estimate_metrics, git_commit


class NoRungChosen(CandorError):
    """No rung was named and no ladder run recommends one."""


@dataclass
class ForecastRun:
    """A forecast (or a backtest) and the MLflow run that records it."""

    result: ForecastResult | None
    backtest: BacktestResult | None
    run_id: str | None
    dataset_hash: str
    rung_source: str

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataset_hash": self.dataset_hash,
            "mlflow_run_id": self.run_id,
            "rung_source": self.rung_source,
        }
        if self.result is not None:
            out["forecast"] = self.result.to_dict()
        if self.backtest is not None:
            out["backtest"] = self.backtest.to_dict()
        return out


def recommended_rung(tracker: Tracker, dataset_hash: str) -> str | None:
    """The rung the last ladder on this very data recommended, if any."""
    if not tracker.has_runs:
        return None  # no store yet, so no ladder: say so without starting MLflow
    run = tracker.latest_run("ladder", {"candor.dataset_hash": dataset_hash})
    if run is None:
        return None
    return run.data.tags.get("candor.ladder.recommended") or None


def _record(
    tracker: Tracker,
    run: ForecastRun,
    project_root: Path,
    settings: dict[str, str] | None = None,
) -> str:
    """Log ``run`` to MLflow: its estimates as metrics (value, low, high, n), what was asked
    (``settings``: target score, scales, fractions, repeats, level) as params, the JSON, the
    sentence and the curve's SVG as artifacts."""
    from candor.report import forecast_svg

    tags = {
        "candor.kind": "forecast",
        "candor.dataset_hash": run.dataset_hash,
        # a backtest is recorded as a forecast run too: the report shows the latest of each
        "candor.forecast.backtest": "true" if run.result is None else "false",
    }
    commit = git_commit(project_root)
    if commit:
        tags["candor.git_commit"] = commit
    metrics: dict[str, float] = {}
    texts: dict[str, str] = {}
    r, b = run.result, run.backtest
    if r is not None:
        tags.update({"candor.forecast.rung": r.rung, "candor.forecast.metric": r.metric})
        metrics.update(estimate_metrics("forecast_full_", {r.metric: r.at_full.score}))
        for what in ("fit_seconds", "peak_bytes"):
            e = getattr(r.at_full, what)
            if e is not None:
                metrics.update(estimate_metrics("forecast_full_", {what: e}))
        metrics.update(estimate_metrics("plateau_", {r.metric: r.plateau}))
        for s in r.at_scales:
            key = f"forecast_x{s.factor:g}_".replace(".", "_")
            metrics.update(estimate_metrics(key, {r.metric: s.score}))
            if s.fit_seconds is not None:
                metrics.update(estimate_metrics(key, {"fit_seconds": s.fit_seconds}))
            if s.peak_bytes is not None:
                metrics.update(estimate_metrics(key, {"peak_bytes": s.peak_bytes}))
        if r.rows_needed is not None and r.rows_needed.estimate is not None:
            metrics.update(estimate_metrics("", {"rows_needed": r.rows_needed.estimate}))
        texts = {"forecast.txt": r.sentence + "\n", "learning_curve.svg": forecast_svg(r)}
    if b is not None:
        tags.setdefault("candor.forecast.rung", b.rung)
        tags.setdefault("candor.forecast.metric", b.metric)
        metrics["backtest_abs_error"] = abs(b.final.error)
        metrics.update(
            estimate_metrics(
                "backtest_",
                {
                    "error": b.final.error_estimate(),
                    "mean_abs_error": b.mean_absolute_error(),
                    "coverage": b.coverage(),
                },
            )
        )
        metrics["backtest_points"] = len(b.points)  # the n behind the two means above
        metrics.update(estimate_metrics("backtest_measured_", {b.metric: b.final.measured}))
        metrics.update(estimate_metrics("backtest_forecast_", {b.metric: b.final.forecast}))
        texts["backtest.txt"] = b.sentence + "\n"
    name = "forecast" if b is None else "forecast backtest"
    params = {"rung": (r or b).rung if (r or b) else "", "rung_source": run.rung_source}  # type: ignore[union-attr]
    params.update(settings or {})
    return tracker.log_run(
        name,
        metrics=metrics,
        params=params,
        tags=tags,
        documents={"forecast.json": run.to_dict()},
        texts=texts,
    )


def forecast_project(
    path: str | Path = ".",
    *,
    rung: str | None = None,
    scales: Any = DEFAULT_SCALES,
    target_score: float | None = None,
    fractions: Any = DEFAULT_FRACTIONS,
    repeats: int | None = None,
    level: float = 0.90,
    backtest_only: bool = False,
    n_jobs: int = 1,
    track: bool = True,
    on_progress: Progress | None = None,
) -> ForecastRun:
    """Forecast a project's rung (the last ladder's recommendation unless one is named) on its
    training split; with ``backtest_only``, measure how well such forecasts do on this data."""
    project = Project.load(path)
    cfg = project.config
    if cfg.metric.primary in METRICS:  # before the data loads: an impossible target fails at once
        check_target_score(target_score, METRICS[cfg.metric.primary])
    ds = project.dataset()
    split = project.split(ds)
    frame, features = ds.frame, ds.features
    train = frame.iloc[split.train]
    tracker = project.tracker()
    source = "given"
    if rung is None:
        rung = recommended_rung(tracker, ds.content_hash)
        source = "the last ladder's recommendation"
        if rung is None:
            raise NoRungChosen(
                "no rung named and no ladder run on this data recommends one: run `candor ladder` "
                "first, or name one with --rung (e.g. --rung hist_gb)"
            )
    common: dict[str, Any] = {
        "rung": rung,
        "task": ds.task,
        "metric": cfg.metric.primary,
        "groups": None if ds.group is None else train[ds.group].to_numpy(),
        "time_order": None if ds.time is None else train[ds.time].to_numpy(),
        "repeats": repeats,
        "level": level,
        "seed": cfg.data.seed,
        "n_jobs": n_jobs,
        "on_progress": on_progress,
    }
    X, y = train[features], train[ds.target]
    result = bt = None
    if backtest_only:
        bt = backtest(X, y, **common)
    else:
        result = forecast(
            X, y, scales=scales, target_score=target_score, fractions=fractions, **common
        )
    run = ForecastRun(result, bt, None, ds.content_hash, source)
    if track:
        asked = {"level": f"{level:g}", "repeats": "auto" if repeats is None else str(repeats)}
        if not backtest_only:
            asked |= {
                "scales": _listed(scales),
                "fractions": _listed(fractions),
                "target_score": "none" if target_score is None else f"{target_score:g}",
            }
        run.run_id = _record(tracker, run, project.root, asked)
    return run


def _listed(values: Any) -> str:
    """``2,5,10`` for MLflow's params (strings), as the command line takes them."""
    return ",".join(f"{float(v):g}" for v in values)
