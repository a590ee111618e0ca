"""Sections rebuilt from what earlier commands recorded: the forecast (its ``forecast.json`` and
the learning-curve SVG ``candor forecast`` drew with :func:`forecast_svg`) and the serving KPIs
(:class:`~candor.serving.Kpis`) with the review queue's counts."""

from __future__ import annotations

from html import escape
from typing import Any

from candor._units import format_bytes
from candor.report._model_html import TABLE
from candor.report._model_html import est_from_dict as _est


def backtest_recorded_html(bt: dict[str, Any]) -> str:
    """The latest backtest's sentence: how far forecasts like this one missed on this data."""
    sentence, rung = str(bt.get("sentence", "")).strip(), str(bt.get("rung", ""))
    return f"<p><strong>Backtest on this data</strong> ({escape(rung)}): {escape(sentence)}</p>"


def forecast_recorded_html(
    doc: dict[str, Any], sentence: str, svg: str | None, backtest: dict[str, Any] | None = None
) -> str:
    """The forecast's sentence, its curve with the band, the table of forecasts (the plateau
    last), the forecast's warnings, and the latest backtest's sentence when there is one."""
    f = doc.get("forecast") or {}
    if not f:
        return backtest_recorded_html(backtest or doc.get("backtest") or {})
    rows = []
    scales = [("all rows", f.get("at_full") or {})] + [
        (f"{s['factor']:g}x", s) for s in f.get("at_scales", [])
    ]
    for label, s in scales:
        score = _est(s.get("score"))
        t = _est(s.get("fit_seconds"))
        m = _est(s.get("peak_bytes"))
        mem = (
            "n/a"
            if m is None
            else f"{format_bytes(m.value)} ({format_bytes(m.low)} to {format_bytes(m.high)})"
        )
        rows.append(
            f"<tr><td>{escape(label)}</td><td>{int(s.get('rows', 0)):,}</td>"
            f"<td>{escape(_figure(score, 3))}</td><td>{escape(_figure(t, 3))}</td>"
            f"<td>{escape(mem)}</td></tr>"
        )
    plateau = _est(f.get("plateau"))
    if plateau is not None:
        rows.append(
            f"<tr><td>plateau</td><td>where the curve levels off</td>"
            f"<td>{escape(_figure(plateau, 3))}</td><td></td><td></td></tr>"
        )
    # each column's n and method once, under the table, rather than in every cell
    full = scales[0][1]
    how = [
        f"{what}: {e.method} (n={e.n:,}, {e.level:.0%})"
        for what, e in (
            (str(f.get("metric", "score")), _est(full.get("score"))),
            ("fit time", _est(full.get("fit_seconds"))),
            ("peak memory", _est(full.get("peak_bytes"))),
        )
        if e is not None
    ]
    level = float(f.get("level", 0.9))
    figure = (
        f"<figure>{svg}<figcaption>The learning curve of {escape(str(f.get('rung', '')))} with "
        f"its {level:.0%} band, fitted to the anchors (mean and range of the repeats).</figcaption>"
        "</figure>"
        if svg
        else ""
    )
    return (
        f"<p>{escape(sentence)}</p>{figure}{TABLE}<thead><tr><th>data</th><th>rows</th>"
        f"<th>{escape(str(f.get('metric', '')))} ({level:.0%} interval)</th><th>fit time (s)</th>"
        f"<th>peak memory</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<p><small>{escape('; '.join(how))}.</small></p>"
        + (
            "<ul>" + "".join(f"<li>{escape(str(w))}</li>" for w in f["warnings"]) + "</ul>"
            if f.get("warnings")
            else ""
        )
        + ("" if not backtest else backtest_recorded_html(backtest))
    )


def _figure(e: Any, digits: int) -> str:
    return "n/a" if e is None else e.format(digits)


def serving_html(kpis: Any, open_items: int, reviewed: int) -> str:
    """The KPI table of the prediction log and what the review queue holds."""
    from candor.serving._kpis import KPI_ROWS, kpi_figure

    total = kpis.total

    def cell(e: Any, digits: int, pct: bool, key: str) -> str:
        if e is None:  # a rate needs a minute of traffic; the others, something to count
            return (
                "n/a (under a minute of traffic)" if key == "per_hour" else "n/a (nothing to count)"
            )
        return f"{kpi_figure(e, digits, pct)}, n={e.n:,}, {e.method} {e.level:.0%}"

    rows = "".join(
        f"<tr><td>{escape(label)}</td><td>{escape(cell(getattr(total, key), digits, pct, key))}</td>"
        f"<td>{escape(what)}</td></tr>"
        for label, key, digits, pct, what in KPI_ROWS
    )
    return (
        f"<p>{total.served:,} predictions in the log. Review queue: {reviewed:,} reviewed, "
        f"{open_items:,} open.</p>{TABLE}<thead><tr><th>KPI</th><th>value (interval), n, "
        f"method</th><th>of what</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<p><small>{escape(kpis.note)}.</small></p>"
    )
