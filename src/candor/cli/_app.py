"""Commands. Every CandorError is printed as a message (no traceback) with a non-zero exit code."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from candor.errors import CandorError

app = typer.Typer(
    name="candor",
    help="A workbench that keeps machine-learning projects honest: no bare numbers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# piped or redirected output is not cut to 80 columns: intervals must survive in logs and files
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"candor {version('candor')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """candor: audit, ladder, evaluate, forecast, size, register, serve, report."""


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Project folder (created if missing).")] = Path(
        "."
    ),
    source: Annotated[
        str, typer.Option(help="CSV, Parquet, or a bundled set such as sklearn:iris.")
    ] = ("sklearn:breast_cancer"),
    target: Annotated[
        str | None, typer.Option(help="Target column (bundled sets know theirs).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Project name (default: the folder's name).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing candor.toml.")] = False,
) -> None:
    """Write a commented candor.toml and a .candor/ workspace."""
    from candor.project import init_project

    cfg = init_project(folder, name=name, source=source, target=target, force=force)
    console.print(
        f"Wrote {cfg} and {cfg.parent / '.candor'}/. Edit [data] and [metric], then run `candor audit` and `candor ladder` there.",
        markup=False,
    )


@app.command(name="evaluate")
def evaluate_cmd(
    predictions: Annotated[
        Path, typer.Argument(help="CSV or Parquet with true labels and predictions.")
    ],
    target: Annotated[str, typer.Option("--target", help="Column of true labels or values.")],
    pred: Annotated[
        str | None, typer.Option("--pred", help="Column of predicted labels or values.")
    ] = None,
    proba: Annotated[
        list[str] | None,
        typer.Option(
            "--proba",
            help="Probability column(s): the positive class's, or one per class in sorted class "
            "order (repeat the option or separate with commas).",
        ),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", help="Metric(s) to report (default: all that apply)."),
    ] = None,
    group: Annotated[
        str | None, typer.Option(help="Group column: rows of one group are resampled together.")
    ] = None,
    task: Annotated[
        str | None, typer.Option(help="binary | multiclass | regression (default: inferred).")
    ] = None,
    level: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 10_000,
    method: Annotated[str, typer.Option(help="auto | bca | percentile.")] = "auto",
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    track: Annotated[bool, typer.Option(help="Record the evaluation in MLflow.")] = True,
    name: Annotated[str | None, typer.Option(help="Run name in MLflow.")] = None,
) -> None:
    """Evaluate predictions made anywhere: every metric with its interval, n and method."""
    from candor.predictions import evaluate_file

    # `--proba p0,p1,p2` and `--proba p0 --proba p1 --proba p2` mean the same
    proba = [c.strip() for item in proba or [] for c in item.split(",") if c.strip()] or None
    res = evaluate_file(
        predictions,
        target,
        pred,
        proba,
        group=group,
        metrics=metric,
        task=task,
        level=level,
        n_resamples=resamples,
        method=method,
        seed=seed,
        track=track,
        run_name=name,
    )
    if as_json:
        typer.echo(strict_json(res.to_dict()))
        return
    from candor.cli._render import print_evaluation

    print_evaluation(console, res.evaluation, title=str(predictions.name))
    if res.run_id:
        console.print(f"recorded in MLflow as run {res.run_id} ({res.tracking_uri})", style="dim")


@app.command(name="audit")
def audit_cmd(
    train: Annotated[Path | None, typer.Option(help="Training split (CSV or Parquet).")] = None,
    test: Annotated[Path | None, typer.Option(help="Test split (CSV or Parquet).")] = None,
    target: Annotated[str | None, typer.Option(help="Target column (with --train).")] = None,
    split_column: Annotated[
        str | None, typer.Option(help="With --train only: column saying 'train' or 'test' per row.")
    ] = None,
    group: Annotated[
        str | None, typer.Option(help="Group column (entities that must not straddle).")
    ] = None,
    time: Annotated[
        str | None, typer.Option(help="Time column (test must come after train).")
    ] = None,
    fail_on: Annotated[
        str, typer.Option(help="Exit with code 1 on findings at: error | warning | never.")
    ] = "error",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of the report.")
    ] = False,
    html: Annotated[
        Path | None, typer.Option(help="Also write the report as an HTML fragment here.")
    ] = None,
    track: Annotated[bool, typer.Option(help="Record the audit in MLflow.")] = True,
) -> None:
    """Find leaks before any model is trained: duplicates, shared groups, time, target proxies."""
    from candor.auditing import audit_files, audit_project

    if fail_on not in ("error", "warning", "never"):
        raise CandorError(f"--fail-on must be error, warning or never, got {fail_on!r}")
    if train is None and (test is not None or split_column is not None or target is not None):
        raise CandorError(
            "--test, --target and --split-column go with --train FILE; without --train the "
            "audit reads the project's candor.toml"
        )
    if train is not None and target is None:
        raise CandorError("give --target COLUMN with --train")
    # progress on the terminal's stderr, so that --json output stays clean
    with err_console.status("Auditing...") as status:

        def progress(name: str, i: int, total: int) -> None:
            status.update(f"Auditing: {name} ({i + 1}/{total})")

        if train is not None:
            assert target is not None
            res = audit_files(
                train,
                test,
                target,
                split_column=split_column,
                group=group,
                time=time,
                track=track,
                on_check=progress,
            )
        else:
            res = audit_project(".", track=track, on_check=progress)
    if track and res.run_id and train is not None:
        err_console.print(
            f"[dim]recorded in MLflow (run {res.run_id}) in {Path.cwd() / '.candor'}; "
            "--no-track to skip[/dim]"
        )
    if html is not None:
        from candor.project import write_atomic
        from candor.report import audit_html

        write_atomic(html, audit_html(res.report))
    if as_json:
        typer.echo(strict_json(res.to_dict()))
    else:
        from candor.cli._render import print_audit

        print_audit(console, res.report)
    if fail_on != "never" and res.report.fails(fail_on):  # type: ignore[arg-type]
        raise typer.Exit(1)


def strict_json(data: Any) -> str:
    """JSON that every parser accepts: an unbounded interval side (inf) or NaN becomes null."""

    def clean(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [clean(x) for x in v]
        return v

    return json.dumps(clean(data), indent=2, default=str, allow_nan=False)


def _seconds(text: str | None) -> float | None:
    """A duration such as 90, 90s, 10m or 1h in seconds."""
    if text is None:
        return None
    units = {"s": 1, "m": 60, "h": 3600}
    t = text.strip().lower()
    try:
        value = float(t[:-1]) * units[t[-1]] if t and t[-1] in units else float(t)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise CandorError(
            f"--budget must be a positive duration such as 90s, 10m or 1h, got {text!r}"
        )
    return value


@app.command(name="ladder")
def ladder_cmd(
    rungs: Annotated[
        str | None, typer.Option(help="Comma-separated rungs to climb (default: all for the task).")
    ] = None,
    budget: Annotated[
        str | None, typer.Option(help="Time for the whole climb, e.g. 90s, 10m, 1h.")
    ] = None,
    jobs: Annotated[
        int, typer.Option(help="Folds fitted in parallel (processes); -1: all cores.")
    ] = 1,
    tune: Annotated[
        int, typer.Option(help="Optuna trials for each of the 2 best tunable rungs (0: none).")
    ] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of the table.")
    ] = False,
    track: Annotated[bool, typer.Option(help="Record the climb in MLflow.")] = True,
) -> None:
    """Climb from the simplest model up; recommend the simplest one as good as the best."""
    import time as _time

    from candor.laddering import ladder_project

    if jobs == 0 or jobs < -1:
        raise CandorError(
            f"--jobs must be a number of processes (1, 2, ...) or -1 for all cores, got {jobs}"
        )
    if tune < 0:
        raise CandorError(f"--tune must be a number of trials (0 for none), got {tune}")
    names = [r.strip() for r in rungs.split(",") if r.strip()] if rungs else None
    budget_s = _seconds(budget)
    started = _time.perf_counter()
    with err_console.status("Climbing the ladder...") as status:

        def progress(event: str, info: dict[str, object]) -> None:
            elapsed = _time.perf_counter() - started
            what = {"first pass": "first pass on a subsample", "tuning": "tuning with Optuna"}.get(
                event, "cross-validating"
            )
            fold = f", fold {info['fold']}" if "fold" in info else ""
            eta = info.get("eta")
            status.update(
                f"Ladder: {info['rung']} ({what}{fold}, {info['rows']:,} rows), {elapsed:.0f} s "
                "elapsed"
                + (f" of {budget_s:g} s" if budget_s else "")
                + (f", about {eta:.0f} s to go" if isinstance(eta, float) else "")
            )

        run = ladder_project(
            ".",
            rungs=names,
            budget_s=budget_s,
            n_jobs=jobs,
            tune=tune,
            track=track,
            on_progress=progress,
        )
    if as_json:
        typer.echo(strict_json(run.to_dict()))
        return
    from candor.cli._render import print_ladder

    print_ladder(console, run)


def _numbers(text: str | None, option: str, example: str) -> list[float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or not all(v > 0 for v in values):
        raise CandorError(
            f"{option} takes positive numbers separated by commas, such as {example}; got {text!r}"
        )
    return values


@app.command(name="forecast")
def forecast_cmd(
    rung: Annotated[
        str | None,
        typer.Option(help="Rung to forecast (default: the last ladder's recommendation)."),
    ] = None,
    scale: Annotated[
        str, typer.Option(help="Multiples of the data to forecast, e.g. 2,5,10.")
    ] = "2,5,10",
    target_score: Annotated[
        float | None, typer.Option(help="Say how many training rows reach this score.")
    ] = None,
    fractions: Annotated[
        str | None,
        typer.Option(help="Anchor sizes as shares of the training rows (default 1/32 ... 1/2)."),
    ] = None,
    repeats: Annotated[
        int | None,
        typer.Option(help="Rounds of cross-validation folds per anchor (default: auto)."),
    ] = None,
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest", help="Forecast the largest anchors from those up to 25% and compare."
        ),
    ] = False,
    jobs: Annotated[int, typer.Option(help="Folds fitted in parallel (processes).")] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of the plot and table.")
    ] = False,
    track: Annotated[bool, typer.Option(help="Record the forecast in MLflow.")] = True,
) -> None:
    """How good will the model get with more data, how long will it train, how much memory?"""
    from candor.forecast._run import DEFAULT_FRACTIONS
    from candor.forecasting import forecast_project

    if jobs == 0 or jobs < -1:
        raise CandorError(
            f"--jobs must be a number of processes (1, 2, ...) or -1 for all cores, got {jobs}"
        )
    if repeats is not None and repeats < 1:
        raise CandorError(f"--repeats must be at least 1, got {repeats}")
    scales = _numbers(scale, "--scale", "2,5,10") or []
    fr = _numbers(fractions, "--fractions", "0.1,0.2,0.4") or list(DEFAULT_FRACTIONS)
    with err_console.status("Measuring the learning curve...") as status:

        def progress(event: str, info: dict[str, object]) -> None:
            status.update(
                f"Forecast: {info['rung']}, fitting the anchors of split "
                f"{info['split']} of {info['splits']}"
            )

        run = forecast_project(
            ".",
            rung=rung,
            scales=scales,
            target_score=target_score,
            fractions=fr,
            repeats=repeats,
            backtest_only=backtest,
            n_jobs=jobs,
            track=track,
            on_progress=progress,
        )
    if as_json:
        typer.echo(strict_json(run.to_dict()))
        return
    from candor.cli._render_forecast import print_backtest, print_forecast

    if run.result is not None:
        print_forecast(console, run.result)
    if run.backtest is not None:
        print_backtest(console, run.backtest)
    if run.run_id:
        console.print(f"[dim]recorded in MLflow, run {run.run_id}[/dim]")


def _count(text: str | None, option: str) -> int | None:
    """A whole number written as 5000000, 5,000,000, 5_000_000 or 5e6."""
    if text is None:
        return None
    t = text.strip().replace(",", "").replace("_", "")
    try:
        value = float(t)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value != int(value) or value < 1:
        example = "1000" if option == "--batch" else "5000000 or 5e6"
        raise CandorError(
            f"{option} must be a positive whole number such as {example}, got {text!r}"
        )
    return int(value)


@app.command(name="size")
def size_cmd(
    rung: Annotated[
        str | None, typer.Option(help="Rung to size (default: the last ladder's recommendation).")
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(help="A saved model file instead (skops, candor CNN .pt, LightGBM, XGBoost)."),
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Rows the model takes (CSV or Parquet), when there is no candor.toml."),
    ] = None,
    batch: Annotated[
        str | None,
        typer.Option(help="Rows per batch for peak memory and throughput (default 1000)."),
    ] = None,
    classes: Annotated[
        str | None, typer.Option(help="What if the model had this many classes.")
    ] = None,
    features: Annotated[
        str | None, typer.Option(help="What if it had this many input features.")
    ] = None,
    rows: Annotated[
        str | None, typer.Option(help="What if it were trained on this many rows (e.g. 1e9).")
    ] = None,
    train: Annotated[
        bool, typer.Option("--train", help="Estimate the memory of training, not of serving.")
    ] = False,
    qps: Annotated[
        float | None,
        typer.Option(help="Single-row requests per second to serve (default: qps in candor.toml)."),
    ] = None,
    provider: Annotated[
        str | None, typer.Option(help="Only these providers' instances, e.g. aws or aws,gcp.")
    ] = None,
    catalogue: Annotated[
        Path | None, typer.Option(help="Your own instance catalogue (CSV, candor's columns).")
    ] = None,
    repeats: Annotated[int, typer.Option(help="Fresh processes per measurement (at least 2).")] = 3,
    measure: Annotated[
        bool, typer.Option(help="Measure in fresh processes (--no-measure: estimates only).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    track: Annotated[bool, typer.Option(help="Record the sizing in MLflow.")] = True,
) -> None:
    """What the model needs in memory and time, what a bigger one would, and what serving costs."""
    from candor.sizing import WhatIf

    if repeats < 2:
        raise CandorError(f"--repeats must be at least 2 for an interval, got {repeats}")
    if qps is not None and not (qps > 0 and math.isfinite(qps)):
        raise CandorError(f"--qps must be a positive number of requests per second, got {qps:g}")
    what = WhatIf(
        classes=_count(classes, "--classes"),
        features=_count(features, "--features"),
        rows=_count(rows, "--rows"),
        batch=_count(batch, "--batch") if (classes or features or rows) else None,
        train=train,
    )
    n_batch = _count(batch, "--batch")
    status = (
        "Measuring the model in fresh processes..."
        if measure
        else "Estimating the model's memory..."
    )
    providers = [p.strip().lower() for p in provider.split(",") if p.strip()] if provider else None
    has_project = Path("candor.toml").exists()
    if model is None and not has_project and what.classes and what.features:
        from candor.cli._render_size import print_output_layer
        from candor.sizing import size_output_layer

        est, where = size_output_layer(
            what.classes,
            what.features,
            batch=n_batch or 1,
            train=train,
            catalogue=catalogue,
            providers=providers,
        )
        if as_json:
            typer.echo(strict_json({"estimate": est.to_dict(), "placement": where.to_dict()}))
        else:
            print_output_layer(console, est, where)
        return
    if not has_project:
        if model is None:
            raise CandorError(
                "no candor.toml here: run `candor init --source DATA --target COLUMN` first, give a saved "
                "model with --model FILE and its rows with --data FILE, or ask a what-if with "
                "--classes N --features N"
            )
        if data is None:
            raise CandorError(
                f"--model {model} needs rows to predict: give --data FILE (CSV or Parquet with the "
                "model's input columns), or run inside a project"
            )
        from candor.data._load import read_table
        from candor.sizing import size

        if not data.is_file():
            raise CandorError(
                f"no data file at {data}: give --data FILE, a CSV or Parquet file with the "
                "model's input columns"
            )
        table = read_table(str(data))
        with err_console.status(status):
            result = size(
                model,
                table,
                batch=n_batch or 1000,
                repeats=repeats,
                what=what,
                qps=qps,
                catalogue=catalogue,
                providers=providers,
                measure_it=measure,
            )
        if as_json:
            typer.echo(strict_json(result.to_dict()))
        else:
            from candor.cli._render_size import print_size

            print_size(console, result)
        return
    from candor.sizer import size_project

    with err_console.status(status):
        run = size_project(
            ".",
            rung=rung,
            model_file=model,
            batch=n_batch,
            repeats=repeats,
            what=what,
            qps=qps,
            catalogue=catalogue,
            providers=providers,
            measure_it=measure,
            track=track,
        )
    if as_json:
        typer.echo(strict_json(run.to_dict()))
        return
    from candor.cli._render_size import print_size

    console.print(f"[dim]model: {escape(run.source)}[/dim]")
    print_size(console, run.result)
    if run.run_id:
        console.print(f"[dim]recorded in MLflow, run {run.run_id}[/dim]")


data_app = typer.Typer(
    help="Datasets as versions: content-addressed snapshots of the project's data.",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")


@data_app.command("snapshot")
def data_snapshot(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Store the project's data as a snapshot named by the hash of its content."""
    from candor.project import Project

    project = Project.load(".")
    ds = project.dataset()
    store = project.object_store()
    snap, written = store.put(ds.frame, source=project.config.data.source)
    if as_json:
        typer.echo(strict_json({**snap.to_dict(), "written": written, "store": store.root}))
        return
    from candor._units import format_bytes

    verb = "stored" if written else "already stored: nothing written"
    console.print(
        f"dataset [bold]{snap.short}[/bold] ({snap.rows:,} rows, {len(snap.columns)} columns, "
        f"{format_bytes(snap.bytes)} as Parquet) {verb}, in {escape(store.root)}"
    )
    if snap.hash != ds.content_hash:  # pragma: no cover - the same function names both
        raise CandorError("the snapshot's hash differs from the dataset's: please report this")


@data_app.command("list")
def data_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every snapshot of this project's store, newest first."""
    from rich.table import Table

    from candor._units import format_bytes
    from candor.project import Project

    store = Project.load(".").object_store()
    snaps = store.list()
    if as_json:
        typer.echo(strict_json([s.to_dict() for s in snaps]))
        return
    if not snaps:
        console.print(f"no snapshots in {escape(store.root)}: `candor data snapshot` stores one")
        return
    t = Table(title=f"Snapshots in {escape(store.root)}", title_justify="left")
    for col in ("hash", "rows", "columns", "Parquet", "created", "source"):
        t.add_column(col)
    for snap in snaps:
        t.add_row(
            snap.short,
            f"{snap.rows:,}",
            str(len(snap.columns)),
            format_bytes(snap.bytes),
            snap.created,
            escape(snap.source),
        )
    console.print(t)
    console.print(f"[dim]{format_bytes(store.total_bytes())} on disk in all[/dim]")


@data_app.command("show")
def data_show(
    digest: Annotated[str, typer.Argument(help="The snapshot's hash, or its first characters.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A snapshot's schema, row count and per-column summary."""
    from rich.table import Table

    from candor._units import format_bytes
    from candor.project import Project

    snap = Project.load(".").object_store().show(digest)
    if as_json:
        typer.echo(strict_json(snap.to_dict()))
        return
    console.print(
        f"dataset [bold]{snap.hash}[/bold]: {snap.rows:,} rows, {format_bytes(snap.bytes)} as "
        f"Parquet, from {escape(snap.source)} at {snap.created}"
    )
    t = Table(box=None)
    for col in ("column", "dtype", "missing", "distinct", "range or commonest values"):
        t.add_column(col)
    for c in snap.columns:
        spread = f"{c.min} to {c.max}" if c.min is not None else ", ".join(map(str, c.top))
        t.add_row(escape(c.name), c.dtype, f"{c.missing:,}", f"{c.distinct:,}", escape(spread))
    console.print(t)


@app.command()
def demo(
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="Demo project folder (created; default candor-demo, or candor-demo-images).",
        ),
    ] = None,
    images: Annotated[
        bool,
        typer.Option(
            "--images",
            help="On sklearn:digits (8x8 images) with the CNN rung: the report looks inside the "
            "network (needs candor[nn]).",
        ),
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed for models, split and resampling.")] = 0,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples.")] = 10_000,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Run the loop on bundled data: models, a leaderboard with intervals, a comparison, claims."""
    import time

    from candor.demo import run_demo

    began = time.monotonic()
    steps = 9  # the stages run_demo announces

    with err_console.status("Starting the demo...") as status:
        done = 0
        current = ""

        def show(detail: str = "") -> None:
            tail = f": {detail}" if detail else ""
            status.update(f"[{done}/{steps}, {time.monotonic() - began:.0f} s] {current}{tail}...")

        def stage(what: str) -> None:
            nonlocal done, current
            if current:
                done += 1
            current = what
            show()

        def progress(event: str, info: dict[str, object]) -> None:
            show(f"{info['rung']} ({info['rows']:,} rows)")

        res = run_demo(
            folder or Path("candor-demo-images" if images else "candor-demo"),
            seed=seed,
            n_resamples=resamples,
            on_progress=progress,
            on_stage=stage,
            images=images,
        )
    took = f"[dim]demo finished in {time.monotonic() - began:.0f} s[/dim]"
    if as_json:
        err_console.print(took)
        typer.echo(strict_json(res.to_dict()))
        return
    from candor.cli._render import print_demo

    print_demo(console, res)  # the story, then how long it took: last, where the eye ends
    err_console.print(took)


def main() -> None:
    """Console entry point: CandorErrors become a message and exit code 2, never a traceback."""
    try:
        app(standalone_mode=True)
    except CandorError as exc:
        err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _interrupted()
        sys.exit(130)
    except SystemExit as exc:
        # typer turns Ctrl-C into a silent exit 130: say what happened
        ctx = exc.__context__
        if exc.code == 130 and ctx is not None and isinstance(ctx.__cause__, KeyboardInterrupt):
            _interrupted()
        raise


def _interrupted() -> None:
    err_console.print(
        "interrupted (Ctrl-C): candor stopped. Nothing is left half-written; run the command "
        "again to redo what it had not finished.",
        highlight=False,
    )
