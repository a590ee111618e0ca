"""``candor serve``: a registered model behind uvicorn, with its prediction log.

Several workers each run the app (uvicorn's own process manager); each holds its own model, log
writer and swap poller, and all write to the one log.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from candor.errors import CandorError

ENV_REF, ENV_PROJECT, ENV_LOG, ENV_POLL, ENV_SHADOW, ENV_NATIVE = (
    "CANDOR_SERVE_REF",
    "CANDOR_SERVE_PROJECT",
    "CANDOR_SERVE_LOG",
    "CANDOR_SERVE_POLL",
    "CANDOR_SERVE_SHADOW",
    "CANDOR_SERVE_NATIVE",
)


def default_log_url(project: Path) -> str:
    from candor.project import Project

    return f"sqlite:///{(Project.load(project).workspace / 'predictions.db').resolve()}"


def build_app(
    ref: str,
    project: str | Path = ".",
    *,
    log_url: str | None = None,
    poll_s: float | None = 5.0,
    shadow: str | None = None,
    onnx: bool = True,
) -> Any:
    """The app for ``ref`` (``churn@champion``) in ``project``: the model loaded and checked, the
    log opened, ``[feedback]``'s routing rules read; an alias is looked up again every ``poll_s``
    seconds. ``shadow`` (default ``[feedback] shadow``) is an alias scored alongside, never
    returned. ``onnx`` runs a version's checked ONNX export where registration stored one.
    Tokens come from ``CANDOR_TOKEN`` and ``CANDOR_REVIEWERS``."""
    from candor.project import Project
    from candor.registering import load_version, project_registry
    from candor.registry import parse_ref
    from candor.serving._app import ServedModel, Serving, create_app
    from candor.serving._log import PredictionLog
    from candor.serving._reviewers import Reviewers
    from candor.serving._routing import RoutingRules

    p = Project.load(project)
    registry = project_registry(p)
    mref = parse_ref(ref, p.config.registry.champion)

    def loader(r: Any) -> tuple[Any, Any]:
        return (lambda: load_version(registry, r)), (lambda: str(registry.resolve(r).version))

    served = ServedModel(*loader(mref))
    feedback = p.config.feedback
    shadow_alias = feedback.shadow if shadow is None else (shadow or None)
    shadow_model = None
    if shadow_alias:
        sref = parse_ref(f"{mref.name}@{shadow_alias}", p.config.registry.champion)
        shadow_model = ServedModel(*loader(sref))
    serving = Serving(
        served,
        PredictionLog(log_url or default_log_url(p.root)),
        RoutingRules.from_config(feedback),
        shadow_model,
        shadow_alias,
        Reviewers.from_env(p.workspace),
        onnx=onnx,
    )
    return create_app(serving, poll_s=poll_s if mref.alias is not None or shadow_alias else None)


def app_from_env() -> Any:
    """uvicorn's factory for ``--workers N``: the same app, configured through the environment."""
    poll = os.environ.get(ENV_POLL, "5")
    return build_app(
        os.environ[ENV_REF],
        os.environ.get(ENV_PROJECT, "."),
        log_url=os.environ.get(ENV_LOG) or None,
        poll_s=float(poll) if poll else None,
        shadow=os.environ.get(ENV_SHADOW),
        onnx=not os.environ.get(ENV_NATIVE),
    )


def serve(
    ref: str,
    project: str | Path = ".",
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    log_url: str | None = None,
    poll_s: float = 5.0,
    shadow: str | None = None,
    onnx: bool = True,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``ref`` until interrupted. Binding to anything but loopback needs ``CANDOR_TOKEN``
    or ``CANDOR_REVIEWERS``. ``on_ready`` is told the engine once the model and log have
    loaded, before uvicorn starts."""
    import uvicorn

    from candor.serving._app import is_loopback
    from candor.serving._reviewers import parse_reviewers

    tokens = os.environ.get("CANDOR_TOKEN") or parse_reviewers(
        os.environ.get("CANDOR_REVIEWERS", "")
    )
    if not is_loopback(host) and not tokens:
        raise CandorError(
            f"binding to {host} exposes the model beyond this machine: set CANDOR_TOKEN to an API "
            "token (clients send Authorization: Bearer TOKEN) or CANDOR_REVIEWERS to "
            "name=token pairs, or bind to 127.0.0.1"
        )
    if workers < 1:
        raise CandorError(f"--workers must be at least 1, got {workers}")
    # built once here, so a bad reference, shadow or log URL is a message, not a crash per worker
    first = build_app(ref, project, log_url=log_url, poll_s=None, shadow=shadow, onnx=onnx)
    serving = first.state.serving
    serving.log.close()
    if on_ready is not None:
        model = serving.served.current
        note = model.engine_note
        engine = "ONNX Runtime" if onnx and model.engine is not None else "its own library"
        if not onnx or note.get("engine") == "onnx" or model.engine is not None:
            on_ready(f"v{model.version} run by {engine}")
        else:  # what registration found then; installing the extra since does not change it
            on_ready(
                f"v{model.version} run by {engine}; at its registration: {note.get('why', '')}. "
                "A version registered again with candor[onnx] installed gets a checked export"
            )
    os.environ.update(
        {
            ENV_REF: ref,
            ENV_PROJECT: str(Path(project).resolve()),
            ENV_LOG: log_url or "",
            ENV_POLL: str(poll_s),
            ENV_NATIVE: "" if onnx else "1",
        }
    )
    if shadow is not None:
        os.environ[ENV_SHADOW] = shadow
    uvicorn.run(
        "candor.serving._server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
