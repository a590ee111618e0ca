"""``candor report``: the project's story in one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from candor.cli._app import app, console, strict_json


@app.command()
def report(
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write it (default: report.html).")
    ] = None,
    track: Annotated[bool, typer.Option(help="Log the report and its figures to MLflow.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write one self-contained HTML report of what has run: goal and data, audit, ladder, the
    model on held-out rows with pictures and examples, forecast, size, serving, model card."""
    from candor.reporting import report as write_report

    res = write_report(".", out, track=track)
    if as_json:
        typer.echo(strict_json(res.to_dict()))
        return
    console.print(escape(res.sentence))
    if res.run_id:
        console.print(f"[dim]logged to MLflow as run {escape(res.run_id)}[/dim]")
