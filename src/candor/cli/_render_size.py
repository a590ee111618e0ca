"""The sizing in the terminal: measured figures with intervals, the estimate part by part, the
what-if, the data, where it would run and what that costs, the budgets."""

from __future__ import annotations

import math

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from candor._units import format_bytes, format_figure
from candor.sizing import MemoryEstimate, NoFit, Placement, SizeResult
from candor.stats import Estimate

_VERDICT = {
    "within": "[green]within[/green]",
    "over": "[red]over[/red]",
    "unclear": "[yellow]unclear[/yellow]",
}


def _row(t: Table, label: str, e: Estimate, kind: str) -> None:
    if e.n == 0 or not math.isfinite(e.value):
        t.add_row(label, "not measurable here", "", "", escape(e.method))
        return
    t.add_row(
        label,
        format_figure(e.value, kind),
        f"{format_figure(e.low, kind)} to {format_figure(e.high, kind)}",
        f"{e.n:,}",
        escape(e.method),
    )


def _parts(title: str, e: MemoryEstimate) -> Table:
    t = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    t.add_column("part")
    t.add_column("bytes", justify="right")
    t.add_column("formula")
    for p in e.model:
        t.add_row(escape(p.name), format_bytes(p.bytes), escape(p.formula))
    for p in e.batch:
        t.add_row(escape(p.name) + " [dim](batch)[/dim]", format_bytes(p.bytes), escape(p.formula))
    return t


def print_size(console: Console, r: SizeResult) -> None:
    console.print(
        f"[bold]{escape(r.name)}[/bold]: {format_bytes(r.file_bytes)} on disk ({escape(r.format)})"
    )
    m = r.measurement
    if m is not None:
        t = Table(
            title=f"Measured in {m.repeats} pairs of fresh processes, one thread each "
            f"(95% intervals)",
            box=box.SIMPLE_HEAD,
            title_justify="left",
        )
        for col, just in (
            ("figure", "left"),
            ("value", "right"),
            ("interval", "right"),
            ("n", "right"),
            ("method", "left"),
        ):
            t.add_column(col, justify=just)  # type: ignore[arg-type]
        _row(t, "load time", m.load_seconds, "s")
        _row(t, "resident memory added by loading", m.resident_bytes, "bytes")
        _row(t, "live bytes of the model", m.live_bytes, "bytes")
        _row(t, "first prediction's caches", m.first_call_bytes, "bytes")
        _row(t, f"peak predicting {m.batch_rows:,} rows", m.batch_peak_bytes, "bytes")
        _row(t, "interpreter and libraries", m.process_bytes, "bytes")
        _row(t, "single-row latency p50", m.single_p50_ms, "ms")
        _row(t, "single-row latency p99", m.single_p99_ms, "ms")
        _row(t, f"batched, per row ({m.batch_rows:,} a batch)", m.batch_ms_per_row, "ms")
        _row(t, "rows per second per core", m.rows_per_second_per_core, "n")
        console.print(t)
    console.print(
        _parts(f"Estimate ({escape(r.estimate.family)} family), part by part", r.estimate)
    )
    if r.check is not None:
        colour = "green" if r.check.agrees else "red"
        console.print(f"[{colour}]Against the measurement:[/{colour}] {escape(r.check.sentence())}")
    if r.scenario is not None:
        label = r.what.describe() + (", training" if r.what.train else "")
        console.print(_parts(f"What if: {escape(label)}", r.scenario))
        d = r.scenario.dominant
        console.print(
            f"Total {format_bytes(r.scenario.total)}; the part that dominates is "
            f"[bold]{escape(d.name)}[/bold]: {escape(d.formula)} = {format_bytes(d.bytes)}"
        )
        for note in r.scenario.notes:
            console.print(f"[dim]note: {escape(note)}[/dim]")
    if r.data is not None and r.data_rows:
        pandas, arrow = r.data.at(r.data_rows)
        big = ", ".join(
            f"{escape(c.name)} {c.pandas_bytes_per_row:,.0f} B" for c in r.data.largest(3)
        )
        console.print(
            f"Data: {r.data.pandas_bytes_per_row:,.0f} B a row in pandas"
            + (
                f", {r.data.arrow_bytes_per_row:,.0f} B in Arrow"
                if r.data.arrow_bytes_per_row
                else ""
            )
            + f" (measured on {r.data.rows_measured:,} rows; largest columns: {big}); "
            f"{r.data_rows:,} rows: {format_bytes(pandas)} in pandas"
            + (f", {format_bytes(arrow)} in Arrow" if arrow is not None else "")
        )
    p = r.placement
    if isinstance(p, Placement) and r.what.train:
        console.print(
            f"Cheapest machine to train on: [bold]{escape(p.provider)} {escape(p.instance)}"
            f"[/bold] ({p.vcpu} vCPU, {p.ram_gib:g} GiB, for {format_bytes(r.worker_bytes)}) at "
            f"${p.usd_per_hour:.4g}/hour ({escape(p.region)} on-demand list price as of "
            f"{escape(p.price_date)})"
        )
    elif isinstance(p, Placement):
        console.print(
            f"Cheapest home: [bold]{p.count} x {escape(p.provider)} {escape(p.instance)}[/bold] "
            f"({p.vcpu} vCPU, {p.ram_gib:g} GiB, {p.workers_per_instance} worker(s) each of "
            f"{format_bytes(r.worker_bytes)}) at ${p.usd_per_hour:.4g}/hour = "
            f"[bold]${p.monthly_usd:,.0f}/month[/bold] ({escape(p.reason)}; {escape(p.region)} "
            f"on-demand list price as of {escape(p.price_date)})"
        )
        console.print(f"[dim]worker memory: {escape(r.worker_method)}[/dim]")
    elif isinstance(p, NoFit):
        console.print(f"[red]{escape(p.message)}[/red]")
    if r.verdicts:
        t = Table(title="Budgets from candor.toml", box=box.SIMPLE_HEAD, title_justify="left")
        for col in ("budget", "limit", "verdict", "evidence"):
            t.add_column(col)
        for v in r.verdicts:
            t.add_row(v.budget, f"{v.limit:g}", _VERDICT[v.verdict], escape(v.evidence))
        console.print(t)
    for note in r.notes:
        console.print(f"[dim]note: {escape(note)}[/dim]")
    console.print(escape(r.sentence))


def print_output_layer(console: Console, e: MemoryEstimate, where: Placement | NoFit) -> None:
    console.print(_parts("What if (no model): a network's output layer", e))
    d = e.dominant
    console.print(
        f"Total {format_bytes(e.total)}; the part that dominates is [bold]{escape(d.name)}"
        f"[/bold]: {escape(d.formula)} = {format_bytes(d.bytes)}"
    )
    for note in e.notes:
        console.print(f"[dim]note: {escape(note)}[/dim]")
    if isinstance(where, Placement):
        console.print(
            f"Smallest home: {escape(where.provider)} {escape(where.instance)} ({where.ram_gib:g} "
            f"GiB) at ${where.monthly_usd:,.0f}/month (with an assumed 450 MiB interpreter)"
        )
    else:
        console.print(f"[red]{escape(where.message)}[/red]")
