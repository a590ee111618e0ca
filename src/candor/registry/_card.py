"""The model card: Markdown written from what candor knows about a registered version.

Pure: it takes the facts (plain data, as the registration gathers them) and returns text. Every
figure in it carries its interval, n and method, or is said to be missing; the limitations are
derived from the evidence (a small test set, audit warnings, a model not refitted on all rows,
no sizing), not boilerplate.
"""

from __future__ import annotations

from typing import Any

from candor.stats import Estimate


def _est(d: dict[str, Any] | None) -> Estimate | None:
    if not d:
        return None
    return Estimate(d["value"], d["low"], d["high"], d["level"], d["n"], d["method"])


def _fmt(d: dict[str, Any] | None, digits: int = 3) -> str:
    e = _est(d)
    return "n/a" if e is None else f"{e.format(digits)} (n={e.n:,}, {e.method} {e.level:.0%})"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def model_card(facts: dict[str, Any]) -> str:
    """The card for one version: intended use, data and its audit, metrics with intervals and
    claims, the ladder's context, size/latency/cost, limitations and lineage."""
    out: list[str] = []
    name, version = facts["name"], facts.get("version", "?")
    out += [f"# Model card: {name} v{version}", ""]
    rung = facts.get("rung_label") or facts.get("rung") or "a model"
    out += [
        f"{rung} for a {facts['task']} task, stored as {facts['format']}; "
        f"registered {facts.get('registered', '')} by {facts.get('who', 'unknown')}.",
        "",
    ]
    out += ["## Intended use", ""]
    goal = (facts.get("goal") or "").strip()
    out += [
        goal
        if goal
        else "Not stated: write it in `[project] goal` of candor.toml, and register again.",
        "",
    ]
    out += _data(facts)
    out += _metrics(facts)
    out += _ladder(facts)
    out += _serving(facts)
    out += ["## Known limitations", ""]
    out += [f"- {x}" for x in limitations(facts)]
    out += ["", "## Lineage", ""]
    lineage = facts.get("lineage", {})
    for key in sorted(lineage):
        out.append(f"- `{key}`: {lineage[key]}")
    out.append("")
    return "\n".join(out)


def _data(facts: dict[str, Any]) -> list[str]:
    d = facts.get("data", {})
    out = ["## Data", ""]
    out.append(
        f"- Source: `{d.get('source', '?')}`, {d.get('rows', 0):,} rows, "
        f"{len(facts.get('features', [])):,} input columns; dataset hash `{d.get('hash', '?')}`."
    )
    out.append(
        f"- Split: {d.get('n_train', 0):,} training rows, {d.get('n_test', 0):,} held-out test "
        f"rows ({d.get('split', 'random, stratified')})."
    )
    if facts.get("classes"):
        out.append(f"- Classes: {', '.join(map(str, facts['classes']))}.")
    out.append(f"- The model was fitted on {facts.get('model_rows', 'the training rows')}.")
    audit = facts.get("audit")
    if not audit:
        out.append("- Audit: none recorded for this data. Run `candor audit`.")
    else:
        out.append(f"- Audit verdict: **{audit['verdict']}** (run `{audit.get('run', '?')}`).")
        for f in audit.get("findings", [])[:10]:
            out.append(f"  - {f['severity']}: {f['text']}")
    out.append("")
    return out


def _metrics(facts: dict[str, Any]) -> list[str]:
    ev = facts.get("evaluation")
    out = ["## Evaluation on held-out rows", ""]
    if not ev or not ev.get("metrics"):
        out += [facts.get("evaluation_note") or "No held-out evaluation is recorded.", ""]
        return out
    out += ["| metric | value (95% interval) | n | method |", "|---|---|---|---|"]
    for metric, d in ev["metrics"].items():
        e = _est(d)
        assert e is not None
        out.append(f"| {metric} | {e.format()} | {e.n:,} | {_cell(e.method)} |")
    out.append("")
    claims = ev.get("claims", [])
    if claims:
        out += ["What these rows support:", ""]
        out += [f"- {c['text']}" for c in claims]
        out.append("")
    return out


def _ladder(facts: dict[str, Any]) -> list[str]:
    lad = facts.get("ladder")
    out = ["## Against simpler models (the ladder)", ""]
    if not lad:
        out += ["No ladder run is recorded: this model was not compared with simpler ones.", ""]
        return out
    metric = lad.get("metric", "")
    rec = lad.get("recommended")
    if rec and rec != facts.get("rung"):
        out += [
            f"**This version is the {facts.get('rung')} rung; the ladder recommended {rec}.**",
            "",
        ]
    n = lad.get("n_evaluated")
    over = f" (out of fold, n={n:,})" if n else " (out of fold)"
    out += [
        f"| rung | cross-validated {metric}{over} | fit time (s) | status |",
        "|---|---|---|---|",
    ]
    for r in lad.get("rungs", []):
        score = r.get("scores", {}).get(metric)
        fit = r.get("fit_seconds")
        e = _est(score)
        f = _est(fit)
        mark = " (this model)" if r.get("name") == facts.get("rung") else ""
        out.append(
            f"| {r.get('label', r.get('name'))}{mark} | {e.format() if e else 'n/a'} | "
            f"{f.format(2) if f else 'n/a'} | {_cell(r.get('status', ''))} |"
        )
    out += ["", lad.get("sentence", ""), ""]
    return out


def _serving(facts: dict[str, Any]) -> list[str]:
    size = facts.get("size")
    out = ["## Size, latency and cost", ""]
    if not size:
        out += ["Not sized: run `candor size` for this rung, then register again.", ""]
        return out + _engine(facts)
    out += [size.get("sentence", ""), ""]
    for v in size.get("verdicts", []):
        out.append(f"- budget {v['budget']} = {v['limit']:g}: **{v['verdict']}** ({v['evidence']})")
    out.append("")
    return out + _engine(facts)


def _engine(facts: dict[str, Any]) -> list[str]:
    engine = facts.get("engine")
    if not engine:
        return []
    kind, _, why = str(engine).partition(": ")
    return [f"`candor serve` runs it with **{kind}**: {why}", ""]


def limitations(facts: dict[str, Any]) -> list[str]:
    """What a reader should know before trusting the model, from the evidence at hand."""
    out: list[str] = []
    d = facts.get("data", {})
    n_test = d.get("n_test", 0)
    ev = facts.get("evaluation") or {}
    primary = facts.get("primary")
    est = _est(ev.get("metrics", {}).get(primary)) if primary else None
    if est is not None:
        out.append(
            f"The held-out {primary} is known to within ±{est.half_width:.3f} only "
            f"({n_test:,} test rows); differences smaller than that are not evidence."
        )
    if n_test and n_test < 300 and facts.get("task") != "regression":
        out.append(
            f"{n_test:,} test rows: with no errors at all, the true error rate could still be up "
            f"to {3 / n_test:.1%} (rule of three, 95% one-sided)."
        )
    out.append(
        "Evaluated on rows from the same source and period as its training data; it says "
        "nothing about drifted or future data until served and reviewed."
    )
    audit = facts.get("audit")
    if not audit:
        out.append("The data was not audited for leakage: the scores above may be inflated.")
    else:
        warnings = [f for f in audit.get("findings", []) if f["severity"] in ("error", "warning")]
        for f in warnings[:3]:
            out.append(f"Audit {f['severity']}: {f['title']}.")
    if "all" not in str(facts.get("model_rows", "all")):
        out.append(f"Fitted on {facts['model_rows']}, not on every training row.")
    if not facts.get("ladder"):
        out.append("Not compared with simpler models: run `candor ladder`.")
    if not facts.get("size"):
        out.append("Memory, latency and cost were not measured.")
    if facts.get("format") == "pickle":
        out.append("Stored as a pickle: loading it runs code; load it only from a trusted store.")
    return out
