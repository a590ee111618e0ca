"""Model commands: register, promote, rollback, models, card, export, serve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from candor.cli._app import app, console, strict_json
from candor.errors import CandorError


@app.command()
def register(
    run: Annotated[
        str | None,
        typer.Argument(help="A ladder run id (or one of its rung runs); default: the last ladder."),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Registered model name, e.g. churn.")] = "",
    rung: Annotated[
        str | None, typer.Option(help="The rung to register (default: the recommended one).")
    ] = None,
    alias: Annotated[
        str | None,
        typer.Option(help="Alias for the new version (default: [registry] candidate; '' none)."),
    ] = None,
    allow_pickle: Annotated[
        bool,
        typer.Option(help="Store a model no safe format can hold as a pickle (runs code on load)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Put a ladder rung's model into the registry with its lineage, evaluation and model card."""
    from candor.registering import register as register_model

    if not name:
        raise CandorError("name the model: candor register --name churn")
    reg = register_model(".", name=name, run=run, rung=rung, alias=alias, allow_pickle=allow_pickle)
    if as_json:
        typer.echo(strict_json(reg.to_dict()))
        return
    console.print(escape(reg.sentence))
    console.print(
        f"[dim]model card: `candor card {reg.name}/{reg.version}`; load: "
        f'candor.load("{reg.name}/{reg.version}"); MLflow run {reg.run_id}[/dim]'
    )


@app.command()
def promote(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    version: Annotated[str, typer.Argument(help="Version number to promote (or 'latest').")],
    to: Annotated[
        str | None, typer.Option("--to", help="Alias to move (default: [registry] champion).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Promote even if gates fail (needs --reason; recorded).")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why the gates are overridden.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Move an alias to a version if every release gate in candor.toml passes."""
    from candor.registering import promote as promote_model

    p = promote_model(".", name=name, version=version, to=to, force=force, reason=reason)
    if as_json:
        typer.echo(strict_json(p.to_dict()))
        return
    for v in p.verdicts:
        mark = "[green]passed[/green]" if v.passed else "[red]FAILED[/red]"
        console.print(f"  {v.gate}: {mark}: {escape(v.evidence)}")
    console.print(escape(p.sentence))


@app.command()
def rollback(
    name: Annotated[str, typer.Argument(help="Registered model name.")],
    alias: Annotated[
        str | None, typer.Option(help="Alias to move back (default: [registry] champion).")
    ] = None,
    reason: Annotated[str | None, typer.Option(help="Why (recorded).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Move the champion back to the version it held before."""
    from candor.registering import rollback as rollback_model

    p = rollback_model(".", name=name, alias=alias, reason=reason)
    if as_json:
        typer.echo(strict_json(p.to_dict()))
        return
    console.print(escape(p.sentence))


@app.command()
def models(
    name: Annotated[str | None, typer.Argument(help="Only this model's versions.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Registered models: versions, aliases, held-out scores and gate verdicts."""
    from rich.table import Table

    from candor.registering import list_models

    rows = list_models(".", name)
    if as_json:
        typer.echo(strict_json([r.to_dict() for r in rows]))
        return
    if not rows:
        console.print("no registered models: `candor register --name NAME` registers one")
        return
    primary = rows[0].primary
    t = Table(title="Registered models", title_justify="left")
    for col in (
        "model",
        "version",
        "aliases",
        "rung",
        f"held-out {primary}",
        "gates",
        "data",
        "created",
    ):
        t.add_column(col)
    for r in rows:
        score = (
            "n/a" if r.score is None else f"{r.score.format()} n={r.score.n:,}, {r.score.method}"
        )
        gates = ", ".join(f"@{a}: {o}" for a, o in sorted(r.gates.items())) or "-"
        t.add_row(
            escape(r.name),
            r.version,
            ", ".join(f"@{a}" for a in r.aliases) or "-",
            r.rung,
            score,
            gates,
            r.dataset_hash[:12],
            r.created,
        )
    console.print(t)


@app.command()
def card(
    ref: Annotated[str, typer.Argument(help="NAME@ALIAS or NAME/VERSION, e.g. churn@champion.")],
) -> None:
    """Print a registered version's model card (Markdown)."""
    from candor.registering import card as model_card

    typer.echo(model_card(".", ref))


@app.command()
def export(
    ref: Annotated[str, typer.Argument(help="NAME@ALIAS or NAME/VERSION, e.g. churn@champion.")],
    onnx: Annotated[Path, typer.Option("--onnx", help="Where to write the ONNX file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Export a registered model to ONNX, checked against the original on held-out rows."""
    from candor.registering import export_onnx

    check = export_onnx(".", ref, onnx)
    if as_json:
        typer.echo(strict_json({"path": str(onnx), **check.to_dict()}))
        return
    console.print(f"wrote {escape(str(onnx))}: {escape(check.sentence)}")


@app.command()
def serve(
    ref: Annotated[str, typer.Argument(help="NAME@ALIAS or NAME/VERSION, e.g. churn@champion.")],
    host: Annotated[
        str, typer.Option(help="Address to bind (non-loopback needs CANDOR_TOKEN).")
    ] = ("127.0.0.1"),
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    log: Annotated[
        str | None,
        typer.Option(help="Prediction log URL (default: sqlite under .candor/; postgresql://...)."),
    ] = None,
    poll: Annotated[float, typer.Option(help="Seconds between checks of the alias.")] = 5.0,
    shadow: Annotated[
        str | None,
        typer.Option(help="Alias scored alongside, never returned (default: [feedback] shadow)."),
    ] = None,
    native: Annotated[
        bool,
        typer.Option(
            "--native",
            help="Run the model's own library even where registration stored a checked ONNX "
            "export (which is faster).",
        ),
    ] = False,
) -> None:
    """Serve a registered model: POST /predict, /feedback/ID, GET /health, /metrics, /docs;
    every prediction logged before it is answered, doubtful ones routed to the review queue
    (/review, /kpis); the model swapped when its alias moves."""
    from candor.serving import serve as serve_model

    def ready(engine: str) -> None:  # once the model, the shadow and the log have loaded
        console.print(
            f"serving {escape(ref)} on http://{host}:{port} ({escape(engine)}): API docs at "
            "/docs, review queue at /review, KPIs at /kpis; Ctrl-C stops",
            style="dim",
        )

    serve_model(
        ref,
        ".",
        host=host,
        port=port,
        workers=workers,
        log_url=log,
        poll_s=poll,
        shadow=shadow,
        onnx=not native,
        on_ready=ready,
    )
