"""The review loop's routes: client feedback, the review queue (JSON and pages), the KPIs.

Pages are rendered on the server (Jinja2, plain HTML forms, one small bundled script for
keyboard shortcuts; nothing from a CDN). A page needs a signed-in reviewer (a signed cookie); the
JSON routes take the API token, or a reviewer's cookie.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field

from candor.serving._kpis import KPI_ROWS
from candor.serving._review import REASON_KINDS, QueueItem, ReviewError, log_kpis, parse_label
from candor.serving._reviewers import COOKIE

if TYPE_CHECKING:
    from candor.serving._app import Serving

HERE = Path(__file__).parent
ID = PathParam(pattern=r"^[0-9a-f]{32}$", description="a prediction id from /predict")
STATUSES = ("open", "reviewed", "all")


class FeedbackIn(BaseModel):
    """A client application's word on a prediction: it joins the review queue."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=500, description="why it needs a person")
    label: str | float | int | bool | None = Field(None, description="what the client thinks")
    comment: str | None = Field(None, max_length=5000)


class ReviewIn(BaseModel):
    """A reviewer's verdict on a prediction, through the JSON API."""

    model_config = ConfigDict(extra="forbid")
    action: str = Field(..., pattern="^(confirm|correct|skip)$")
    label: str | float | int | bool | None = None
    mos: int | None = Field(None, ge=1, le=5, description="Mean Opinion Score of the answer")
    comment: str | None = Field(None, max_length=5000)
    reviewer: str | None = Field(None, max_length=256, description="when not signed in")


def _when(t: float | None) -> str:
    if t is None:
        return ""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _value(v: Any) -> str:
    if v is None:
        return "(missing)"
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def add_review_routes(app: FastAPI, serving: Serving) -> None:
    """Attach ``/feedback``, ``/api/...``, ``/review...`` and ``/kpis`` to ``app``."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = _when
    templates.env.filters["value"] = _value
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    reviewers = serving.reviewers

    def signed_in(request: Request) -> str | None:
        return reviewers.name_from_cookie(request.cookies.get(COOKIE))

    def api_reviewer(request: Request, given: str | None) -> str:
        from candor.serving._app import bearer

        name = reviewers.name_for_token(bearer(request)) or signed_in(request) or given
        if not name or not name.strip():
            raise HTTPException(
                422, 'name the reviewer: sign in at /review/login, or send "reviewer"'
            )
        return name

    def classes() -> list[Any]:
        return serving.served.current.classes

    def task() -> str:
        return serving.served.current.task

    def found(item: QueueItem | None, prediction_id: str) -> QueueItem:
        if item is None:
            raise HTTPException(404, f"no prediction {prediction_id} in the log")
        return item

    def count(status: str) -> int:
        return serving.queue.count(status=status)

    # -- the client application's feedback -------------------------------------------------------
    @app.post("/feedback/{prediction_id}", summary="Send a prediction to the review queue")
    def feedback(request: Request, body: FeedbackIn, prediction_id: str = ID) -> dict[str, Any]:
        from candor.serving._app import bearer

        who = reviewers.name_for_token(bearer(request)) or "client"
        found(serving.queue.item(prediction_id), prediction_id)
        label = None if body.label is None else parse_label(body.label, task(), classes())
        item = serving.queue.flag(  # a ReviewError (bad text or label) is a 422
            prediction_id,
            reviewer=who,
            reason=body.reason,
            label=label,
            comment=body.comment,
        )
        return {"id": prediction_id, "status": item.status, "reasons": item.reasons}

    # -- the JSON API ----------------------------------------------------------------------------
    @app.get("/api/queue", summary="Routed predictions, oldest first")
    def api_queue(
        status: str = Query("open", pattern="^(open|reviewed|all)$"),
        reason: str | None = Query(None, pattern="^(confidence|novelty|shadow|client)$"),
        version: str | None = Query(None, max_length=32),
        limit: int = Query(50, ge=1, le=500),
        offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        q = serving.queue
        items = q.items(status=status, reason=reason, version=version, limit=limit, offset=offset)
        return {
            "count": q.count(status=status, reason=reason, version=version),
            "items": [i.to_dict() for i in items],
        }

    @app.get("/api/review/{prediction_id}", summary="One prediction with its review history")
    def api_item(prediction_id: str = ID) -> dict[str, Any]:
        return found(serving.queue.item(prediction_id), prediction_id).to_dict()

    @app.post("/api/review/{prediction_id}", summary="Confirm, correct or skip a prediction")
    def api_review(request: Request, body: ReviewIn, prediction_id: str = ID) -> dict[str, Any]:
        who = api_reviewer(request, body.reviewer)
        label = None if body.label is None else parse_label(body.label, task(), classes())
        found(serving.queue.item(prediction_id), prediction_id)
        item = serving.queue.record(
            prediction_id,
            reviewer=who,
            action=body.action,
            label=label,
            mos=body.mos,
            comment=body.comment,
        )
        return item.to_dict()

    @app.get("/api/kpis", summary="Served, exceptions, reviews, agreement, MOS, latency")
    def api_kpis() -> dict[str, Any]:
        return _finite(log_kpis(serving.queue).to_dict())

    # -- pages -----------------------------------------------------------------------------------
    def page(request: Request, name: str, **context: Any) -> Response:
        who = signed_in(request)
        if who is None:
            target = quote(
                request.url.path + (f"?{request.url.query}" if request.url.query else "")
            )
            return RedirectResponse(f"/review/login?next={target}", status_code=303)
        m = serving.served.current
        return templates.TemplateResponse(
            request,
            name,
            {"reviewer": who, "model": m, "open_count": count("open"), **context},
        )

    @app.get("/review/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/review", error: str = "") -> Response:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"mode": reviewers.mode, "next": _safe_next(next), "error": error[:200]},
        )

    @app.post("/review/login", include_in_schema=False)
    def login(
        name: str = Form("", max_length=100),
        token: str = Form("", max_length=500),
        next: str = Form("/review", max_length=2000),
    ) -> Response:
        try:
            who = reviewers.sign_in(name, token)
        except ValueError as exc:
            query = urlencode({"next": _safe_next(next), "error": str(exc)})
            return RedirectResponse(f"/review/login?{query}", status_code=303)
        response = RedirectResponse(_safe_next(next), status_code=303)
        response.set_cookie(
            COOKIE,
            reviewers.cookie_for(who),
            httponly=True,
            samesite="strict",
            max_age=30 * 86400,
        )
        return response

    @app.post("/review/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("/review/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/review", response_class=HTMLResponse, include_in_schema=False)
    def queue_page(
        request: Request,
        status: str = Query("open", pattern="^(open|reviewed|all)$"),
        reason: str = Query("", pattern="^(|confidence|novelty|shadow|client)$"),
        version: str = Query("", max_length=32),
        page_no: int = Query(1, alias="page", ge=1, le=100_000),
        message: str = Query("", max_length=200),
    ) -> Response:
        q = serving.queue
        per_page = 50
        items = q.items(
            status=status,
            reason=reason or None,
            version=version or None,
            limit=per_page,
            offset=(page_no - 1) * per_page,
        )
        total = q.count(status=status, reason=reason or None, version=version or None)
        return page(
            request,
            "queue.html",
            items=items,
            total=total,
            status=status,
            reason=reason,
            version=version,
            statuses=STATUSES,
            reasons=list(REASON_KINDS),
            page_no=page_no,
            pages=max(1, -(-total // per_page)),
            message=message,
        )

    @app.get("/review/next", include_in_schema=False)
    def next_item(request: Request, after: str = Query("", max_length=32)) -> Response:
        who = signed_in(request)
        if who is None:
            return RedirectResponse("/review/login?next=/review/next", status_code=303)
        target = serving.queue.next_open(who, after=after or None)
        if target is None:
            return RedirectResponse("/review?message=queue+empty", status_code=303)
        return RedirectResponse(f"/review/{target}", status_code=303)

    @app.get("/review/{prediction_id}", response_class=HTMLResponse, include_in_schema=False)
    def item_page(request: Request, prediction_id: str = ID, error: str = "") -> Response:
        item = serving.queue.item(prediction_id)
        if item is None:
            return RedirectResponse("/review?message=no+such+prediction", status_code=303)
        details = item.record.details or {}
        novelty = details.get("novelty")
        flagged = {
            k
            for k in item.record.inputs
            for r in (novelty or {}).get("reasons", [])
            if r.startswith(f"{k} = ")
        }
        return page(
            request,
            "item.html",
            item=item,
            classes=classes(),
            task=task(),
            novelty=novelty,
            flagged=flagged,
            shadow=details.get("shadow"),
            suggestions=[a for a in item.actions if a.action == "flag"],
            error=error[:300],
        )

    @app.post("/review/{prediction_id}", include_in_schema=False)
    def review_form(
        request: Request,
        prediction_id: str = ID,
        action: str = Form(..., pattern="^(confirm|correct|skip)$"),
        label: str = Form("", max_length=200),
        mos: str = Form("", max_length=2),
        comment: str = Form("", max_length=5000),
    ) -> Response:
        who = signed_in(request)
        if who is None:
            return RedirectResponse(f"/review/login?next=/review/{prediction_id}", 303)
        try:
            parsed = parse_label(label, task(), classes()) if label.strip() else None
            if action == "correct" and parsed is None:
                raise ReviewError("choose the right label to correct the answer")
            serving.queue.record(
                prediction_id,
                reviewer=who,
                action=action,
                label=parsed,
                mos=mos or None,
                comment=comment,
            )
        except ReviewError as exc:
            query = urlencode({"error": str(exc)})
            return RedirectResponse(f"/review/{prediction_id}?{query}", status_code=303)
        return RedirectResponse(f"/review/next?after={prediction_id}", status_code=303)

    @app.get("/kpis", response_class=HTMLResponse, include_in_schema=False)
    def kpis_page(request: Request) -> Response:
        k = log_kpis(serving.queue)
        return page(request, "kpis.html", kpis=k, kpi_rows=KPI_ROWS, generated=time.time())


def _finite(value: Any) -> Any:
    """Strict JSON: an unbounded interval side (too few values to bound it) becomes null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _safe_next(target: str) -> str:
    """Only this server's own pages after signing in (never an open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/review"
    return target
