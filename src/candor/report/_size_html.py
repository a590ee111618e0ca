"""The sizing as an HTML fragment for the report: the sentence, the measured figures with their
intervals, the estimate part by part (with bars scaled to the largest part), the what-if, where
it would run and the budgets. No scripts, no links out."""

from __future__ import annotations

from html import escape

from candor._units import format_bytes, format_figure
from candor.sizing import MemoryEstimate, NoFit, Placement, SizeResult
from candor.stats import Estimate


def _fmt(e: Estimate, kind: str) -> str:
    return f"{format_figure(e.value, kind)} ({format_figure(e.low, kind)} to {format_figure(e.high, kind)})"


def _parts_table(e: MemoryEstimate) -> str:
    parts = [(p, "") for p in e.model] + [(p, " (batch)") for p in e.batch]
    top = max((p.bytes for p, _ in parts), default=1.0) or 1.0
    rows = "".join(
        f"<tr><td>{escape(p.name + tag)}</td><td style='text-align:right'>"
        f"{format_bytes(p.bytes)}</td><td><svg width='120' height='10' role='img' "
        f"aria-label='{escape(format_bytes(p.bytes))}'><rect width='{120 * p.bytes / top:.1f}' "
        f"height='10' fill='#4c72b0'/></svg></td><td>{escape(p.formula)}</td></tr>"
        for p, tag in parts
    )
    return (
        '<table style="border-collapse:collapse" border="1" cellpadding="4">'
        "<thead><tr><th>part</th><th>bytes</th><th></th><th>formula</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def size_html(r: SizeResult) -> str:
    """A ``<section>`` with everything ``candor size`` found about one model."""
    out = [
        '<section class="candor-size">',
        f"<h2>Size: {escape(r.name)}</h2>",
        f"<p>{escape(r.sentence)}</p>",
    ]
    m = r.measurement
    if m is not None:
        figures = [
            ("load time", m.load_seconds, "s"),
            ("resident memory added by loading", m.resident_bytes, "bytes"),
            ("live bytes of the model", m.live_bytes, "bytes"),
            (f"peak predicting {m.batch_rows:,} rows", m.batch_peak_bytes, "bytes"),
            ("interpreter and libraries", m.process_bytes, "bytes"),
            ("single-row latency p50", m.single_p50_ms, "ms"),
            ("single-row latency p99", m.single_p99_ms, "ms"),
            ("rows per second per core, batched", m.rows_per_second_per_core, "n"),
        ]
        rows = "".join(
            f"<tr><td>{escape(label)}</td><td>{escape(_fmt(e, kind))}</td><td>{e.n:,}</td>"
            f"<td><small>{escape(e.method)}</small></td></tr>"
            for label, e, kind in figures
        )
        out.append(
            f"<h3>Measured in {m.repeats} pairs of fresh single-threaded processes (95% intervals)"
            '</h3><table style="border-collapse:collapse" border="1" cellpadding="4">'
            "<thead><tr><th>figure</th><th>value (interval)</th><th>n</th><th>method</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )
    out.append(f"<h3>Estimate, part by part ({escape(r.estimate.family)})</h3>")
    out.append(_parts_table(r.estimate))
    if r.check is not None:
        out.append(f"<p>{escape(r.check.sentence())}</p>")
    if r.scenario is not None:
        label = r.what.describe() + (", training" if r.what.train else "")
        d = r.scenario.dominant
        out.append(f"<h3>What if: {escape(label)}</h3>")
        out.append(_parts_table(r.scenario))
        out.append(
            f"<p>Total {format_bytes(r.scenario.total)}; {escape(d.name)} dominates: "
            f"{escape(d.formula)} = {format_bytes(d.bytes)}.</p>"
        )
    p = r.placement
    if isinstance(p, Placement):
        out.append(
            f"<p>Cheapest home: {p.count} x {escape(p.provider)} {escape(p.instance)} "
            f"({p.vcpu} vCPU, {p.ram_gib:g} GiB) at ${p.monthly_usd:,.0f}/month; "
            f"{escape(p.reason)}. Price: on-demand list, {escape(p.region)}, "
            f"{escape(p.price_date)}, from {escape(p.source)}.</p>"
        )
    elif isinstance(p, NoFit):
        out.append(f"<p>{escape(p.message)}</p>")
    if r.verdicts:
        rows = "".join(
            f"<tr><td>{escape(v.budget)}</td><td>{v.limit:g}</td><td>{escape(v.verdict)}</td>"
            f"<td>{escape(v.evidence)}</td></tr>"
            for v in r.verdicts
        )
        out.append(
            '<table style="border-collapse:collapse" border="1" cellpadding="4">'
            "<thead><tr><th>budget</th><th>limit</th><th>verdict</th><th>evidence</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )
    out.append("</section>")
    return "".join(out)
