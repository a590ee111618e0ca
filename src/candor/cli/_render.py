"""Rendering results for the terminal. The core returns data; only this layer prints."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from candor.audit import AuditReport
from candor.demo import DemoResult, LeakyAct
from candor.serving._tour import ServingTour
from candor.stats import METRICS, Comparison, Estimate, Evaluation

if TYPE_CHECKING:
    from candor.laddering import LadderRun
    from candor.sizing import SizeResult


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


def print_leak(console: Console, leak: LeakyAct) -> None:
    """The demo's first act: a leaky split's too-good score, the finding, the honest score."""
    acc, honest = leak.leaky["accuracy"], leak.honest["accuracy"]
    console.print("[bold]First, the trap: a split that leaks[/bold]")
    console.print(
        f"  The data appended to itself ({leak.rows:,} rows, as when two exports are merged) and "
        f"split at random: a {leak.model} model scores accuracy {acc.format(3)} on "
        f"{acc.n:,} test rows. Too good to be true."
    )
    f = leak.finding
    if f is not None:
        console.print(
            f"  [bold]candor audit[/bold] ({f.severity}): {escape(f.text.split(' Fix:')[0])}"
        )
        console.print(f"  Fix: {escape(f.fix)}")
    console.print(
        f"  On the project's honest split the same model scores {honest.format(3)} on "
        f"{honest.n:,} test rows ({honest.method} {honest.level:.0%} intervals)."
    )
    console.print("  Now the real run, on the honest split:\n")


def print_demo(console: Console, res: DemoResult) -> None:
    if res.leak is not None:
        print_leak(console, res.leak)
    print_audit(console, res.audit)
    if res.ladder is not None:
        print_ladder(console, res.ladder)
    if res.forecast is not None and res.forecast.result is not None:
        from candor.cli._render_forecast import print_forecast

        print_forecast(console, res.forecast.result)
    some = next(iter(res.evaluations.values()))
    level = f"{some.level:.0%}"
    t = Table(
        title=f"Leaderboard: {res.dataset}, {res.n_test:,} test rows ({res.n_train:,} train); "
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
        f"[dim]{res.runs_recorded} runs recorded in MLflow under {res.folder / '.candor'} "
        "(the audit, the ladder and one per rung, the forecast, the sizing, two registrations, one per model); "
        f"project file {res.folder / 'candor.toml'}[/dim]"
    )
    if res.registered is not None:
        console.print("[bold]Registry[/bold]")
        console.print(f"  {escape(res.registered.sentence)}")
        if res.promotion is not None:
            for v in res.promotion.verdicts:
                mark = "passed" if v.passed else "FAILED"
                console.print(f"  {v.gate}: {mark}: {escape(v.evidence)}")
            console.print(f"  {escape(res.promotion.sentence)}")
        if res.blocked:
            first = res.blocked.splitlines()
            console.print(f"  The gates at work: {escape(first[0])}")
            for line in first[1:-1]:
                console.print(f"    {escape(line.strip())}")
        name = res.registered.name
        console.print(
            f'  [dim]load it anywhere in the project: candor.load("{name}@champion"); its card: '
            f"candor card {name}@champion[/dim]"
        )
    if res.serving is not None:
        print_serving_tour(console, res.serving, res.folder)
    if res.size is not None:
        print_size_summary(console, res.size.result)
    if res.report is not None:
        console.print(
            f"[bold]Report[/bold] {escape(str(res.report.path))}: open it in a browser "
            "(one file, nothing fetched)"
        )


def print_serving_tour(console: Console, t: ServingTour, folder: Path) -> None:
    """The demo's serve: what was routed and why, and the KPIs with their intervals."""

    def est(key: str, pct: bool = False) -> str:
        d = t.kpis.get(key)
        if d is None:
            return "no data"
        e = Estimate(**d)
        if pct:
            return f"{e.value:.1%} ({e.low:.1%}-{e.high:.1%}, n={e.n}, {e.method} {e.level:.0%})"
        return f"{e.format(2)} ms (n={e.n} requests, {e.method})"

    rules = ", ".join(f"{n} {rule}" for rule, n in sorted(t.by_rule.items())) or "none"
    console.print("[bold]Serving[/bold]")
    console.print(
        f"  {t.ref} (v{t.version}) served the {t.served} held-out rows on 127.0.0.1, each "
        f"logged before it was answered; {t.routed} went to the review queue ({escape(rules)})."
    )
    if t.example_reason:
        console.print(f"  e.g. {escape(t.example_reason)}")
    console.print(
        f"  The demo's reviewer answered with the true labels: {t.corrected} of {t.reviewed} "
        "routed answers were wrong."
    )
    console.print(f"  Exception rate {est('exception_rate', True)}")
    console.print(f"  Agreement on routed answers {est('agreement', True)}")
    console.print(f"  Latency p50 {est('latency_p50_ms')}; p99 {est('latency_p99_ms')}")
    exe = candor_command()
    console.print(
        f"  [dim]review by hand: cd {folder} && {exe} serve {t.ref}, then open "
        f"http://127.0.0.1:8000/review; corrections become data with {exe} feedback export, "
        f"and a candidate with {exe} retrain[/dim]"
    )


def _seconds(e: Estimate) -> str:
    """A fit time with its interval, e.g. ``0.012 (0.010-0.015)``."""
    if not (math.isfinite(e.low) and math.isfinite(e.high)) or e.low == e.high:
        return f"{e.value:.3g}"
    return f"{e.value:.3g} ({max(e.low, 0.0):.3g}-{e.high:.3g})"


def candor_command() -> str:
    """How to call this candor from a shell: ``candor`` when that is the one on PATH, else the
    running script's absolute path (after ``make demo`` it is ``.venv/bin/candor``, not on PATH)."""
    import shutil
    import sys

    running = Path(sys.argv[0])
    if running.name != "candor":
        return "candor"
    on_path = shutil.which("candor")
    if on_path is not None and Path(on_path).resolve() == running.resolve():
        return "candor"
    return str(running.resolve())


def print_size_summary(console: Console, r: SizeResult) -> None:
    """One paragraph: the recommended model's size, latency and monthly cost, with margins."""
    from candor._units import format_bytes
    from candor.sizing import Placement

    m = r.measurement
    bits = [f"{format_bytes(r.file_bytes)} on disk"]
    if m is not None:
        w = m.worker_bytes
        p50, p99 = m.single_p50_ms, m.single_p99_ms
        bits.append(
            f"a serving worker needs {format_bytes(w.value)} ({format_bytes(w.low)} to "
            f"{format_bytes(w.high)}), {format_bytes(m.resident_bytes.value)} of it the model"
        )
        hi = f"{p99.high:.3g}" if p99.high != float("inf") else "unbounded"
        bits.append(
            f"one row takes {p50.value:.3g} ms at the median ({p50.low:.3g} to {p50.high:.3g}) "
            f"and {p99.value:.3g} ms at p99 ({p99.low:.3g} to {hi}; {p99.n:,} calls)"
        )
    p = r.placement
    if isinstance(p, Placement):
        bits.append(
            f"the cheapest home is {p.count} x {p.provider} {p.instance} at "
            f"${p.monthly_usd:,.0f}/month (on-demand list price, {p.region}, {p.price_date})"
        )
    console.print(
        f"[bold]Serving the recommended model ({escape(r.name)})[/bold]: "
        + "; ".join(escape(b) for b in bits)
        + "."
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


def _bar(e: Estimate, lo: float, hi: float, width: int = 24) -> str:
    """An interval as a text bar on a shared scale: ─── for the interval, ● for the point."""
    if not (hi > lo) or e.value != e.value:
        return ""
    pos = [round((v - lo) / (hi - lo) * (width - 1)) for v in (e.low, e.value, e.high)]
    pos = [min(max(p, 0), width - 1) for p in pos]
    cells = [" "] * width
    for i in range(pos[0], pos[2] + 1):
        cells[i] = "─"
    cells[pos[1]] = "●"
    return "".join(cells)


def print_ladder(console: Console, run: LadderRun) -> None:
    """The leaderboard with interval bars, each rung's costs, then the recommendation."""
    res = run.result
    shown = [r for r in res.rungs if res.metric in r.scores]
    lows = [r.scores[res.metric].low for r in shown]
    highs = [r.scores[res.metric].high for r in shown]
    lo, hi = (min(lows), max(highs)) if shown else (0.0, 1.0)
    bounded = shown and lo >= 0.0 and hi <= 1.0
    if bounded and hi - lo > 0.3:  # scores on 0-1: zoom on the upper rungs to keep bars readable
        lo = max(lo, max(highs) - 0.3)
    t = Table(
        title=f"Ladder: {res.metric_label}, out of fold on {res.n_evaluated:,} rows "
        f"({res.task}, 95% intervals)",
        title_justify="left",
    )
    for col, just in (
        ("rung", "left"),
        (res.metric_label, "right"),
        ("", "left"),
        ("fit s", "right"),
        ("p50 / p99 ms", "right"),
        ("size MB", "right"),
        ("status", "left"),
    ):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for r in res.rungs:
        est = r.scores.get(res.metric)
        lat = r.latency
        star = "*" if r.model_rows.startswith("the first fold") else ""
        mark = " ←" if r.name == res.recommended else ""
        t.add_row(
            r.label + mark,
            est.format()
            if est
            else (r.first_pass.format() + " (first pass)" if r.first_pass else ""),
            _bar(est, lo, hi) if est else "",
            _seconds(r.fit_seconds) if r.fit_seconds else "",
            f"{lat.single_p50_ms.value:.2f} / {lat.single_p99_ms.value:.2f}{star}" if lat else "",
            f"{r.size_mb:.3f}{star}" if r.size_mb is not None else "",
            r.status + (f": {r.reason}" if r.reason else ""),
        )
    console.print(t)
    console.print(f"[bold]{escape(res.sentence)}[/bold]")
    if run.held_out and res.recommended:
        primary = run.held_out.get(res.metric)
        if primary is not None:
            console.print(
                f"On the {run.n_test:,} held-out test rows, {res.rung(res.recommended).label} "
                f"scores {res.metric_label} {primary}."
            )
    elif run.held_out_note:
        console.print(f"Not scored on the test split: {escape(run.held_out_note)}")
    console.print(
        "Fit times are means over folds with their t intervals; latencies are per row, single-row calls, with "
        "order-statistic intervals in the JSON output; * marks latency and size measured on the "
        f"first fold's model (finalists are refitted on all rows). Took {res.elapsed_s:.1f} s."
    )
