"""``candor serve``'s FastAPI app: predictions checked against the model's schema, logged durably
before they are answered, counted for Prometheus, and the model swapped when its alias moves.

No ``from __future__ import annotations`` here: FastAPI reads the request body's type (built per
model at start-up) from the endpoint's annotations at run time.
"""

import asyncio
import contextlib
import ipaddress
import json
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.routing import APIRoute
from pydantic import Field
from pydantic_core import from_json, to_json

from candor.errors import CandorError
from candor.registry import LoadedModel
from candor.serving._log import PredictionLog, PredictionRecord
from candor.serving._review import ReviewQueue
from candor.serving._reviewers import COOKIE, Reviewers
from candor.serving._routing import RoutingRules, route_reasons
from candor.serving._schema import row_model, rows_as_records

#: the most rows one request may carry, and the most bytes its body may have
MAX_BATCH = 1000
MAX_BODY_BYTES = 4_000_000
#: the most validation errors one 422 lists (a bad batch would otherwise echo megabytes)
MAX_ERRORS = 20
OPEN_PATHS = frozenset({"/health"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ServedModel:
    """The model being served, swapped whole when its alias moves (a request keeps the model it
    started with, so none fails mid-swap)."""

    def __init__(self, load: Callable[[], LoadedModel], version_of: Callable[[], str]) -> None:
        self._load = load
        self._version_of = version_of
        self.current = load()
        self.swaps = 0
        self.last_error = ""

    def refresh(self) -> bool:
        """Load the version the alias names now, if it moved; whether the model changed."""
        try:
            if self._version_of() == self.current.version:
                return False
            new = self._load()
        except CandorError as exc:  # keep serving the old one; /health says why
            self.last_error = str(exc)
            return False
        if [f.name for f in new.features] != [f.name for f in self.current.features]:
            self.last_error = (
                f"v{new.version} takes other input columns than v{self.current.version}; "
                "restart the server to serve it"
            )
            return False
        self.current, self.last_error = new, ""
        self.swaps += 1
        return True


#: paths anyone may fetch; pages sign people in with a cookie instead of a header token
OPEN_PREFIXES = ("/static/",)
PAGE_PATHS = ("/review", "/kpis")


def _is_page(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PAGE_PATHS)


def bearer(request: Request) -> str:
    """The token a request carries: ``Authorization: Bearer T`` (any case) or ``X-Candor-Token``."""
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    given = value.strip() if scheme.lower() == "bearer" else ""
    return given or request.headers.get("x-candor-token", "")


class BodyTooLarge(HTTPException):
    """A request body over the limit, however it was sent (declared length or chunks)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit:,} bytes: send fewer rows")


class _BodyLimit:
    """Counts the body's bytes as they arrive, so a chunked body without a Content-Length is
    cut off at the limit too (FastAPI answers the :class:`BodyTooLarge` it raises with 413)."""

    def __init__(self, app: Any, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        await self.app(scope, counted, send)


class _Counted:
    """Counts every answer by endpoint and the status actually sent (Prometheus'
    ``candor_requests_total``), whoever sent it: a route, an error handler or the guard."""

    def __init__(self, app: Any, counter: Any) -> None:
        self.app = app
        self.counter = counter

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = _endpoint(scope.get("path", ""))

        async def counted(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.counter.labels(endpoint, str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counted)


class _Guard:
    """The API token (when set) and the body-size limit, before any route runs. Pages check the
    reviewer's cookie themselves (a browser cannot send a header token). Plain ASGI: Starlette's
    ``BaseHTTPMiddleware`` costs each request a task and a stream of its own."""

    def __init__(self, app: Any, reviewers: Reviewers, max_body: int) -> None:
        self.app = app
        self.reviewers = reviewers
        self.max_body = max_body

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(Request(scope))
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, request: Request) -> JSONResponse | None:
        path = request.url.path
        if (
            self.reviewers.tokens_required
            and path not in OPEN_PATHS
            and not path.startswith(OPEN_PREFIXES)
            and not _is_page(path)
            and not self.reviewers.token_ok(bearer(request))
            and not (
                path.startswith("/api/")
                and self.reviewers.name_from_cookie(request.cookies.get(COOKIE)) is not None
            )
        ):
            return JSONResponse(
                {"detail": "missing or wrong API token: send Authorization: Bearer TOKEN"},
                status_code=401,
            )
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return JSONResponse(
                {"detail": f"request body over {self.max_body:,} bytes: send fewer rows"},
                status_code=413,
            )
        return None


@dataclass
class Serving:
    """What the app serves with: the model, an optional shadow, the log and its review queue, the
    routing rules and who may review."""

    served: ServedModel
    log: PredictionLog
    rules: RoutingRules = field(default_factory=RoutingRules)
    shadow: ServedModel | None = None
    shadow_alias: str | None = None
    reviewers: Reviewers = field(default_factory=Reviewers)
    #: run a version's checked ONNX export where it has one (False: always the model's library)
    onnx: bool = True

    @property
    def queue(self) -> ReviewQueue:
        return ReviewQueue(self.log)


def create_app(
    serving: Serving,
    *,
    max_batch: int = MAX_BATCH,
    max_body: int = MAX_BODY_BYTES,
    poll_s: float | None = 5.0,
) -> FastAPI:
    """The app serving ``serving.served`` and logging to ``serving.log``; ``poll_s`` seconds
    between checks of the aliases (None: never swap)."""
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

    served, log = serving.served, serving.log
    metrics = CollectorRegistry()
    requests = Counter(
        "candor_requests",
        "Requests by endpoint and status",
        ["endpoint", "status"],
        registry=metrics,
    )
    predictions = Counter("candor_predictions", "Rows predicted", registry=metrics)
    routed = Counter(
        "candor_routed", "Predictions routed to review, by rule", ["rule"], registry=metrics
    )
    latency = Histogram(
        "candor_predict_latency_seconds",
        "Time to predict a request (before logging)",
        buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
        registry=metrics,
    )
    # not "exceptions": in the KPIs an exception is a prediction routed to review
    errors = Counter(
        "candor_model_errors", "Requests the model failed on (answered 500)", registry=metrics
    )
    version_gauge = Gauge("candor_model_version", "The version being served", registry=metrics)
    version_gauge.set(float(served.current.version or 0))

    model0 = served.current
    Row = row_model(model0.features)
    stop = threading.Event()

    def poll() -> None:
        while poll_s is not None and not stop.wait(poll_s):
            if served.refresh():
                version_gauge.set(float(served.current.version or 0))
            if serving.shadow is not None:
                serving.shadow.refresh()

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=poll, name="candor-swap", daemon=True).start()
        try:
            yield
        finally:  # what is queued is committed before the process goes
            stop.set()
            log.close()

    app = FastAPI(
        lifespan=lifespan,
        title=f"candor: {model0.name}",
        description=(
            f"Predictions from {model0.name} ({model0.task}); every prediction is logged before "
            "it is answered, and doubtful ones go to the review queue at /review."
        ),
        version=str(model0.version),
    )
    app.state.serving = serving
    app.add_middleware(_BodyLimit, max_body=max_body)  # inner: counts what the routes read
    app.add_middleware(_Guard, reviewers=serving.reviewers, max_body=max_body)
    app.add_middleware(_Counted, counter=requests)  # outermost: every answer, 401s and 413s too

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # the offending input is not echoed back: it may be NaN (not JSON) or a huge payload
        errors = exc.errors()
        # a row is one object or a list of them: report only the errors of what was sent
        branch = "list[" if isinstance(exc.body, list) else "Row"
        mine = [
            e for e in errors if len(e.get("loc", ())) < 2 or str(e["loc"][1]).startswith(branch)
        ]
        errors = mine or errors
        if any(e.get("type") == "too_long" and len(e.get("loc", ())) <= 2 for e in errors):
            return JSONResponse(
                {"detail": f"too many rows: at most {max_batch:,} per request"}, status_code=422
            )
        detail: list[Any] = [
            {
                "loc": [str(x) for x in e.get("loc", ())],
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
            }
            for e in errors[:MAX_ERRORS]
        ]
        if len(errors) > MAX_ERRORS:
            detail.append({"msg": f"... and {len(errors) - MAX_ERRORS:,} more errors"})
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(CandorError)
    async def _refused(request: Request, exc: CandorError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.get("/health")
    def health() -> dict[str, Any]:
        m = served.current
        shadow = serving.shadow
        return {
            "status": "ok",
            "model": m.name,
            "version": m.version,
            "swaps": served.swaps,
            "swap_error": served.last_error,
            "novelty": m.novelty is not None,
            "engine": "onnx" if serving.onnx and m.engine is not None else "native",
            "shadow": None
            if shadow is None
            else {"alias": serving.shadow_alias, "version": shadow.current.version},
        }

    @app.get("/metrics", response_class=PlainTextResponse)
    def prometheus() -> PlainTextResponse:
        return PlainTextResponse(
            generate_latest(metrics).decode(), media_type="text/plain; version=0.0.4"
        )

    Batch = Annotated[list[Row], Field(max_length=max_batch)]  # type: ignore[valid-type]

    async def predict(body: Row | Batch) -> Response:  # type: ignore[valid-type]
        # on the event loop, not a worker thread: the work is CPU (one core per worker either
        # way) and the wait for the log's commit is awaited, so other requests run meanwhile
        rows = body if isinstance(body, list) else [body]
        if not rows:
            raise HTTPException(422, "no rows: send one row object or a list of them")
        if len(rows) > max_batch:
            raise HTTPException(422, f"{len(rows):,} rows: at most {max_batch:,} per request")
        model = served.current  # this request keeps this model, whatever swaps meanwhile
        records = rows_as_records(rows)
        start = time.perf_counter()
        inputs = _Inputs(records, model)
        try:
            out = _answer(model, inputs, serving.onnx)
        except CandorError as exc:
            raise HTTPException(422, str(exc)) from exc
        except (ValueError, FloatingPointError, OverflowError) as exc:
            # inputs the schema allows but the model's arithmetic cannot take (1e308 scaled)
            raise HTTPException(
                422,
                f"the model cannot use these inputs ({exc}); check for values far outside the "
                "range the model was trained on",
            ) from exc
        except Exception as exc:
            errors.inc()
            raise HTTPException(500, f"the model failed on this request: {exc}") from exc
        seconds = time.perf_counter() - start
        latency.observe(seconds)
        reasons, details = _route(serving, model, inputs, out)
        now = time.time()
        ids = os.urandom(16 * len(rows)).hex()  # 128 random bits each, as uuid4 but in one call
        logged = [
            PredictionRecord(
                ids[32 * i : 32 * i + 32],
                now,
                model.name,
                model.version,
                rec,
                o,
                o.get("confidence"),
                seconds * 1000 / len(rows),
                "; ".join(why) or None,
                extra,
            )
            for i, (rec, o, why, extra) in enumerate(
                zip(records, out, reasons, details, strict=True)
            )
        ]
        # durable before answered
        await asyncio.wait_for(asyncio.wrap_future(log.append(logged)), timeout=60)
        predictions.inc(len(rows))
        for why in reasons:
            for r in why:
                routed.labels(r.split(":", 1)[0]).inc()
        answer = {
            "model": model.name,
            "version": model.version,
            "predictions": [
                {"id": r.id, **r.outputs, "routed": r.routed is not None} for r in logged
            ],
        }
        # encoded by pydantic-core directly: FastAPI's jsonable_encoder costs 5 ms per 100 rows
        return Response(to_json(answer, fallback=str), media_type="application/json")

    app.router.route_class = _FastJSONRoute  # /predict's body parsed by pydantic-core
    app.post("/predict", summary="Predict one row (an object) or a batch (a list of objects)")(
        predict
    )
    app.router.route_class = APIRoute

    from candor.serving._pages import add_review_routes

    add_review_routes(app, serving)
    return app


class _Inputs:
    """A request's rows, as the model's own library takes them (a DataFrame) or as the fast path
    does (one float matrix), each made only when asked for."""

    def __init__(self, records: list[dict[str, Any]], model: LoadedModel) -> None:
        self.records = records
        self.names = [f.name for f in model.features]
        self.numeric = all(f.numeric for f in model.features)
        self._frame: pd.DataFrame | None = None
        self._values: np.ndarray | None = None

    @property
    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            self._frame = pd.DataFrame.from_records(self.records)
        return self._frame

    @property
    def values(self) -> np.ndarray | None:
        """The rows as float64 in the model's column order (None for a model with text)."""
        if self._values is None and self.numeric:
            names = self.names
            self._values = np.array([[r[n] for n in names] for r in self.records], dtype=float)
        return self._values


def _answer(model: LoadedModel, inputs: _Inputs, onnx: bool) -> list[dict[str, Any]]:
    """The model's answers: through its checked ONNX export where it has one and the rows fit in
    float32, else through its own library."""
    engine = model.engine if onnx and inputs.numeric else None
    if engine is not None and inputs.values is not None:
        matrix = engine.matrix(inputs.values)
        if matrix is not None:
            if model.task == "regression":
                values = engine.values(matrix)
                if values is not None:
                    return [{"prediction": v} for v in values.tolist()]
            else:
                proba = engine.proba(matrix)
                if proba is not None:
                    return _answers(model, proba)
    return _predict(model, inputs.frame)


class _FastJSONRequest(Request):
    """A request whose JSON body pydantic-core parses: half of ``json.loads``'s time on a batch.
    Malformed JSON goes to ``json.loads`` for the error FastAPI turns into a 422 with its
    position."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = from_json(body)
            except ValueError:
                self._json = json.loads(body)  # raises the JSONDecodeError FastAPI reports
        return self._json


class _FastJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def fast(request: Request) -> Response:
            return await handler(_FastJSONRequest(request.scope, request.receive))

        return fast


def _route(
    serving: Serving, model: LoadedModel, inputs: _Inputs, out: list[dict[str, Any]]
) -> tuple[list[list[str]], list[dict[str, Any] | None]]:
    """Each row's routing reasons and what routing saw (novelty, the shadow's answer)."""
    rules = serving.rules
    n = len(out)
    novelty: list[Any] = [None] * n
    profile = model.novelty
    if profile is not None and (rules.novelty < 1 or profile.conformal is not None):
        scored = None
        if inputs.values is not None:
            scored = profile.score_matrix(inputs.values, inputs.names)
        novelty = list(scored if scored is not None else profile.score(inputs.frame))
        widths = profile.half_widths(novelty) if model.task == "regression" else None
        if widths is not None and profile.conformal is not None:
            level = float(profile.conformal["level"])
            for o, hw in zip(out, widths, strict=True):
                o["interval"] = [o["prediction"] - hw, o["prediction"] + hw]
                o["interval_level"] = level
        if rules.novelty >= 1:
            novelty = [None] * n
    shadow_out: list[Any] = [None] * n
    shadow_name, shadow_error = "", None
    shadow = serving.shadow.current if serving.shadow is not None else None
    if shadow is not None and shadow.version != model.version:
        shadow_name = f"v{shadow.version} (@{serving.shadow_alias})"
        try:  # the shadow never fails a request: its error is kept, the answer goes out
            shadow_out = list(_answer(shadow, _Inputs(inputs.records, shadow), serving.onnx))
        except Exception as exc:
            shadow_error = f"{exc.__class__.__name__}: {exc}"[:500]
    reasons, details = [], []
    for o, nov, sh in zip(out, novelty, shadow_out, strict=True):
        reasons.append(route_reasons(o, rules, novelty=nov, shadow=sh, shadow_name=shadow_name))
        extra: dict[str, Any] = {}
        if nov is not None:
            extra["novelty"] = nov.to_dict()
        if sh is not None:
            extra["shadow"] = {"version": shadow.version if shadow else None, **sh}
        if shadow_error:
            extra["shadow_error"] = shadow_error
        details.append(extra or None)
    return reasons, details


def _endpoint(path: str) -> str:
    """A bounded label for Prometheus: the first path segment (ids left out)."""
    first = path.strip("/").split("/", 1)[0]
    return first if first in {"predict", "feedback", "review", "kpis", "api"} else "other"


def _predict(model: LoadedModel, frame: pd.DataFrame) -> list[dict[str, Any]]:
    if model.task == "regression":
        return [{"prediction": float(v)} for v in model.predict(frame)]
    return _answers(model, model.predict_proba(frame))


def _answers(model: LoadedModel, proba: np.ndarray) -> list[dict[str, Any]]:
    labels = [_plain(c) for c in model.classes]
    names = [str(c) for c in model.classes]
    top = np.argmax(proba, axis=1).tolist()
    return [
        {
            "prediction": labels[k],
            "probabilities": dict(zip(names, row, strict=True)),
            "confidence": row[k],
        }
        for k, row in zip(top, np.asarray(proba, dtype=float).tolist(), strict=True)
    ]


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
