"""Rendering results for the terminal. The core returns data; only this layer prints."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from candor.audit import AuditReport
from candor.demo import DemoResult
from candor.stats import METRICS, Comparison, Estimate, Evaluation


def _cell(e: Estimate) -> str:
    return f"{e.value:.3f}\n[dim]{e.low:.3f}-{e.high:.3f}[/dim]"


def evaluation_table(ev: Evaluation, title: str = "Evaluation") -> Table:
    level = f"{ev.level:.0%}"
    t = Table(
        title=f"{title}: {ev.task}, n={ev.n:,}"
        + (f" in {ev.n_groups:,} groups" if ev.n_groups else "")
    )
    t.add_column("metric")
    t.add_column("value")
    t.add_column(f"{level} interval")
    t.add_column("n", justify="right")
    t.add_column("method")
    for name, e in ev.metrics.items():
        arrow = "↑" if METRICS[name].greater_is_better else "↓"
        t.add_row(
            f"{METRICS[name].label} {arrow}",
            f"{e.value:.4f}",
            f"{e.low:.4f} - {e.high:.4f}",
            f"{e.n:,}",
            e.method,
        )
    return t


def print_evaluation(console: Console, ev: Evaluation, title: str = "Evaluation") -> None:
    console.print(evaluation_table(ev, title))
    print_claims(console, ev)
    for name, why in ev.skipped.items():
        console.print(f"[yellow]skipped[/yellow] {name}: {why}")


def print_claims(console: Console, ev: Evaluation) -> None:
    console.print("[bold]What these numbers support[/bold]")
    for c in ev.claims:
        console.print(f"  • {c.text}")


def print_comparison(console: Console, c: Comparison) -> None:
    colour = "green" if c.winner else "yellow"
    console.print(f"[bold]Paired comparison ({c.metric})[/bold]")
    console.print(f"  [{colour}]{c.sentence}[/{colour}]")


def print_demo(console: Console, res: DemoResult) -> None:
    print_audit(console, res.audit)
    some = next(iter(res.evaluations.values()))
    level = f"{some.level:.0%}"
    t = Table(
        title=f"Leaderboard: breast cancer, {res.n_test} test rows ({res.n_train} train); "
        f"value ({level} interval)",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        pad_edge=False,
        collapse_padding=True,
    )
    t.add_column("model", min_width=10)
    names = list(some.metrics)
    for name in names:
        arrow = "↑" if METRICS[name].greater_is_better else "↓"
        t.add_column(f"{name} {arrow}", no_wrap=True, min_width=11)
    for model, ev in res.leaderboard():
        t.add_row(model, *[_cell(ev[m]) for m in names])
    console.print(t)
    best_ev = res.leaderboard()[0][1]
    methods = {m: best_ev[m].method for m in names}
    console.print(
        "[dim]n = "
        + f"{some.n:,} test rows; methods (best model): "
        + "; ".join(f"{METRICS[m].label}: {meth}" for m, meth in methods.items())
        + "[/dim]"
    )
    print_comparison(console, res.comparison)
    best = res.leaderboard()[0]
    console.print(f"[bold]What the test set supports for {best[0]}[/bold]")
    for c in best[1].claims:
        console.print(f"  • {c.text}")
    console.print(
        f"[dim]{len(res.run_ids)} runs recorded in MLflow under {res.folder / '.candor'}; "
        f"project file {res.folder / 'candor.toml'}[/dim]"
    )


_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def print_audit(console: Console, report: AuditReport) -> None:
    style = {"clean": "green", **_SEVERITY_STYLE}[report.verdict]
    console.print(
        f"[bold]Audit[/bold] of {report.n_train:,} train and {report.n_test:,} test rows: "
        f"verdict [{style}]{report.verdict}[/{style}] ({len(report.checks_run)} checks)"
    )
    for f in report.findings:
        sev = _SEVERITY_STYLE[f.severity]
        console.print(f"  [{sev}]{f.severity:7}[/{sev}] ", end="")
        console.print(f.text, markup=False, highlight=False)
        for ex in f.examples[:3]:
            console.print(f"           e.g. {ex}", markup=False, highlight=False, style="dim")
