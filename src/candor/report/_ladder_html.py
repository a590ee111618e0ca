"""The ladder as HTML, from its recorded leaderboard (``leaderboard.json``): each rung's score as
a dot with its interval bar, its fit time, size and latency, the recommendation and its evidence."""

from __future__ import annotations

from html import escape
from typing import Any

from candor.report._figures import dot_whisker_svg
from candor.report._model_html import TABLE, figure
from candor.report._model_html import est_from_dict as _est
from candor.stats import Estimate


def _cell(d: dict[str, Any] | None, digits: int = 3, unit: str = "") -> str:
    e = _est(d)
    if e is None:
        return "n/a"
    return f"{e.format(digits)}{unit}<br><small>n={e.n:,}, {escape(e.method)}</small>"


def ladder_html(board: dict[str, Any], run_id: str) -> tuple[str, dict[str, str]]:
    """A ``<section>`` body for the climb, and its figure."""
    metric = str(board.get("metric", ""))
    rungs = board.get("rungs", [])
    recommended = board.get("recommended")
    scored: list[tuple[str, Estimate]] = []
    for r in rungs:
        e = _est((r.get("scores") or {}).get(metric))
        if e is not None:
            scored.append((r["name"], e))
    figs: dict[str, str] = {}
    out = [f"<p><strong>{escape(str(board.get('sentence', '')))}</strong></p>"]
    if scored:
        level = scored[0][1].level
        figs["ladder.svg"] = dot_whisker_svg(
            [n for n, _ in scored],
            [e for _, e in scored],
            xlabel=f"{metric} ({level:.0%} interval)",
            highlight=recommended,
        )
        out.append(
            figure(
                figs["ladder.svg"],
                f"Each rung's out-of-fold {metric} on {int(board.get('n_evaluated') or 0):,} "
                f"training rows, with its interval ({scored[0][1].method}); the recommended rung "
                "in red.",
            )
        )
    rows = []
    for r in rungs:
        lat = r.get("latency_ms") or {}
        size = (
            "n/a"
            if r.get("size_mb") is None
            else f"{r['size_mb']:.3g} MB ({escape(r.get('size_format', ''))})"
        )
        mark = " (recommended)" if r["name"] == recommended else ""
        rows.append(
            f"<tr><td>{escape(r['name'])}{mark}<br><small>{escape(r.get('label', ''))}</small></td>"
            f"<td>{escape(r.get('status', ''))}<br><small>{escape(r.get('reason', ''))}</small></td>"
            f"<td>{_cell(r['scores'].get(metric))}</td><td>{_cell(r.get('fit_seconds'), 3, ' s')}</td>"
            f"<td>{size}</td><td>{_cell(lat.get('single_p99'), 3, ' ms')}</td></tr>"
        )
    out.append(
        f'<div class="scroll">{TABLE}<thead><tr><th>rung</th><th>status</th><th>{escape(metric)}</th>'
        "<th>fit time</th><th>size</th><th>latency p99, one row</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    evidence = [c.get("sentence", "") for c in (board.get("comparisons") or {}).values()]
    if evidence:
        items = "".join(f"<li>{escape(s)}</li>" for s in evidence if s)
        out.append(f"<h3>Evidence: paired comparisons on the same rows</h3><ul>{items}</ul>")
    out.append(f"<p><small>MLflow run {escape(run_id)}.</small></p>")
    return "".join(out), figs
