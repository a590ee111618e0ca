"""The audit as an HTML fragment: self-contained (inline styles), for the report to embed."""

from __future__ import annotations

from html import escape

from candor.audit import AuditReport

_COLOURS = {"error": "#b00020", "warning": "#a15c00", "info": "#555555", "clean": "#1b5e20"}


def audit_html(report: AuditReport) -> str:
    """A ``<section>`` with the verdict and one row per finding; no scripts, no external files."""
    verdict = report.verdict
    rows = []
    for f in report.findings:
        score = "" if f.score is None else escape(str(f.score))
        examples = "; ".join(escape(str(e)) for e in f.examples[:3])
        rows.append(
            "<tr>"
            f'<td style="color:{_COLOURS[f.severity]};font-weight:bold">{f.severity}</td>'
            f"<td>{escape(f.check)}</td>"
            f"<td>{escape(f.title)}</td>"
            f"<td>{f.count:,} / {f.denominator:,} {escape(f.unit)}</td>"
            f"<td>{score}</td>"
            f"<td>{escape(f.fix)}</td>"
            f"<td><small>{examples}</small></td>"
            "</tr>"
        )
    body = "".join(rows) or '<tr><td colspan="7">No findings.</td></tr>'
    return (
        '<section class="candor-audit">'
        f'<h2>Data audit: <span style="color:{_COLOURS[verdict]}">{verdict}</span></h2>'
        f"<p>{report.n_train:,} training rows, {report.n_test:,} test rows; checks: "
        f"{escape(', '.join(report.checks_run))}.</p>"
        '<table style="border-collapse:collapse" border="1" cellpadding="4">'
        "<thead><tr><th>severity</th><th>check</th><th>finding</th><th>count</th>"
        "<th>score (95% interval)</th><th>fix</th><th>examples</th></tr></thead>"
        f"<tbody>{body}</tbody></table></section>"
    )
