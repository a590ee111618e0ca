"""``candor serve``: a registered model behind uvicorn, with its prediction log.

Several workers each run the app (uvicorn's own process manager); each holds its own model, log
writer and swap poller, and all write to the one log.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from candor.errors import CandorError

ENV_REF, ENV_PROJECT, ENV_LOG, ENV_POLL = (
    "CANDOR_SERVE_REF",
    "CANDOR_SERVE_PROJECT",
    "CANDOR_SERVE_LOG",
    "CANDOR_SERVE_POLL",
)


def default_log_url(project: Path) -> str:
    from candor.project import Project

    return f"sqlite:///{(Project.load(project).workspace / 'predictions.db').resolve()}"


def build_app(
    ref: str,
    project: str | Path = ".",
    *,
    log_url: str | None = None,
    token: str | None = None,
    poll_s: float | None = 5.0,
) -> Any:
    """The app for ``ref`` (``churn@champion``) in ``project``: the model loaded and checked, the
    log opened; an alias is looked up again every ``poll_s`` seconds."""
    from candor.project import Project
    from candor.registering import load_version, project_registry
    from candor.registry import parse_ref
    from candor.serving._app import ServedModel, create_app
    from candor.serving._log import PredictionLog

    p = Project.load(project)
    registry = project_registry(p)
    mref = parse_ref(ref, p.config.registry.champion)

    def load() -> Any:
        return load_version(registry, mref)

    def version_of() -> str:
        return str(registry.resolve(mref).version)

    served = ServedModel(load, version_of)
    log = PredictionLog(log_url or default_log_url(p.root))
    return create_app(served, log, token=token, poll_s=poll_s if mref.alias is not None else None)


def app_from_env() -> Any:
    """uvicorn's factory for ``--workers N``: the same app, configured through the environment."""
    poll = os.environ.get(ENV_POLL, "5")
    return build_app(
        os.environ[ENV_REF],
        os.environ.get(ENV_PROJECT, "."),
        log_url=os.environ.get(ENV_LOG) or None,
        token=os.environ.get("CANDOR_TOKEN") or None,
        poll_s=float(poll) if poll else None,
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
) -> None:
    """Serve ``ref`` until interrupted. Binding to anything but loopback needs ``CANDOR_TOKEN``."""
    import uvicorn

    from candor.serving._app import is_loopback

    token = os.environ.get("CANDOR_TOKEN") or None
    if not is_loopback(host) and token is None:
        raise CandorError(
            f"binding to {host} exposes the model beyond this machine: set CANDOR_TOKEN to an API "
            "token (clients send Authorization: Bearer TOKEN), or bind to 127.0.0.1"
        )
    if workers < 1:
        raise CandorError(f"--workers must be at least 1, got {workers}")
    # checked here, once, so a bad reference is a message and not a crash in every worker
    from candor.project import Project
    from candor.registering import load_version, project_registry
    from candor.registry import parse_ref
    from candor.serving._log import PredictionLog

    p = Project.load(project)
    load_version(project_registry(p), parse_ref(ref, p.config.registry.champion))
    PredictionLog(log_url or default_log_url(p.root)).close()
    os.environ.update(
        {
            ENV_REF: ref,
            ENV_PROJECT: str(Path(project).resolve()),
            ENV_LOG: log_url or "",
            ENV_POLL: str(poll_s),
        }
    )
    uvicorn.run(
        "candor.serving._server:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
    )
