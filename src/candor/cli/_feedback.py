"""Closing the loop: feedback export, retrain, kpis."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from candor.cli._app import app, console, strict_json
from candor.errors import CandorError

if TYPE_CHECKING:
    from candor.serving import KpiPeriod
    from candor.stats import Estimate

feedback_app = typer.Typer(
    help="Reviewed predictions as data: the next dataset version, with its lineage.",
    no_args_is_help=True,
)
app.add_typer(feedback_app, name="feedback")

LogUrl = Annotated[
    str | None,
    typer.Option(
        "--log-url", help="Prediction log URL (default: sqlite under .candor/; postgresql://...)."
    ),
]


@feedback_app.command("export")
def feedback_export(
    out: Annotated[
        Path | None, typer.Option(help="Also write the version to this .parquet or .csv file.")
    ] = None,
    log_url: LogUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write the project's data plus the reviewed predictions as a new dataset version.

    Each prediction with a verdict becomes a row: its inputs and the label people settled on.
    The version is content-addressed (the same reviews, the same version) and its lineage
    (predictions, reviewers, model versions, the source data) is recorded in MLflow.
    """
    from candor.feedback import export_feedback

    res = export_feedback(".", log_url=log_url, out=out)
    if as_json:
        typer.echo(strict_json(res.to_dict()))
        return
    console.print(escape(res.sentence))
    for s in res.skipped[:10]:
        console.print(f"  [yellow]skipped[/yellow] {escape(s.prediction_id)}: {escape(s.reason)}")
    if len(res.skipped) > 10:
        console.print(f"  [yellow]and {len(res.skipped) - 10:,} more skipped[/yellow] (--json)")
    if res.out:
        console.print(f"[dim]also written to {escape(res.out)}[/dim]")
    console.print(
        "Train on it with `candor retrain`: candor.toml stays on the original data, and the "
        "held-out rows stay the ones the champion was judged on (the reviewed rows go to "
        "training only)."
    )


@app.command()
def retrain(
    rung: Annotated[
        str | None,
        typer.Option(help="The rung to fit (default: the ladder's recommendation)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Registered model name (default: the only one).")
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(help="A feedback export's hash (default: the latest of this data)."),
    ] = None,
    audit: Annotated[
        bool, typer.Option(help="Audit the export's split first (the audit gate's evidence).")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Retrain on the latest feedback export and show the evidence for promoting it.

    Fits the recommended rung, registers it as the candidate, compares it with the champion on
    the same held-out rows (paired), and runs the release gates without promoting.
    """
    from candor.retraining import retrain as retrain_model

    res = retrain_model(".", name=name, rung=rung, dataset=dataset, audit=audit)
    if as_json:
        typer.echo(strict_json(res.to_dict()))
        return
    *said, verdict = res.sentences
    for sentence in said:
        console.print(escape(sentence))
    for g in res.gates:
        mark = "[green]passed[/green]" if g.passed else "[red]FAILED[/red]"
        console.print(f"  {g.gate}: {mark}: {escape(g.evidence)}")
    console.print(escape(verdict))


def _since(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CandorError(
            f"--since {text!r} is not an ISO date or time: give e.g. 2026-01-31 or "
            "2026-01-31T12:00 (UTC unless it names a zone)"
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _when(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _figure(e: Estimate | None, digits: int, pct: bool = False) -> str:
    from candor.serving._kpis import kpi_figure

    return kpi_figure(e, digits, pct)


#: (label, field, decimals, a share, of what), as the /kpis page shows them
def kpi_table(total: KpiPeriod) -> Table:
    from candor.serving._kpis import KPI_ROWS

    t = Table(
        title=f"KPIs: {total.served:,} predictions served, {_when(total.start)} to "
        f"{_when(total.end)}",
        title_justify="left",
    )
    for col in ("KPI", "value (interval)", "n", "method", "of what"):
        t.add_column(col, justify="right" if col == "n" else "left")
    for label, key, digits, pct, what in KPI_ROWS:
        e: Estimate | None = getattr(total, key)
        t.add_row(
            label,
            _figure(e, digits, pct),
            "" if e is None else f"{e.n:,}",
            "" if e is None else f"{e.method}, {e.level:.0%}",
            what,
        )
    return t


def over_time_table(periods: list[KpiPeriod], bucket: str) -> Table:
    t = Table(title=f"Per {bucket}", title_justify="left")
    for col in ("from", "served", "exception rate", "agreement", "MOS", "p50 ms", "p99 ms"):
        t.add_column(col)
    for p in periods:
        t.add_row(
            _when(p.start),
            f"{p.served:,}",
            _figure(p.exception_rate, 1, True),
            _figure(p.agreement, 1, True),
            _figure(p.mos, 2),
            _figure(p.latency_p50_ms, 2),
            _figure(p.latency_p99_ms, 2),
        )
    return t


@app.command()
def kpis(
    log_url: LogUrl = None,
    since: Annotated[
        str | None, typer.Option(help="Only predictions from this ISO date or time on (UTC).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """KPIs of the prediction log, each with its interval, n and method, and over time.

    Predictions served, exception rate, share reviewed, agreement with reviewers, mean opinion
    score, latency p50 and p99.
    """
    from candor.feedback import open_prediction_log
    from candor.serving import ReviewQueue, log_kpis

    start = _since(since)
    log = open_prediction_log(".", log_url)
    try:
        k = log_kpis(ReviewQueue(log), since=start)
    finally:
        log.close()
    if as_json:
        typer.echo(strict_json(k.to_dict()))
        return
    if k.total.served == 0:
        after = f" since {_when(start)}" if start is not None else ""
        console.print(f"no predictions in the log{after}: nothing to measure yet")
        return
    console.print(kpi_table(k.total))
    console.print(f"[dim]{escape(k.note)}.[/dim]")
    if k.over_time:
        console.print(over_time_table(k.over_time, k.bucket))
