"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from ridebuy.api.deps import ContextDep
from ridebuy.api.metrics import CONTENT_TYPE
from ridebuy.api.schemas import Liveness, Readiness, ReadinessChecks

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Liveness)
async def healthz() -> Liveness:
    """Liveness: the process answers (restart it when this fails)."""
    return Liveness()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "not ready; `checks` tells what is missing"}},
)
async def readyz(context: ContextDep) -> JSONResponse:
    """Readiness: broker connected, store reachable and live state bootstrapped (send traffic when 200)."""
    checks = ReadinessChecks(
        broker=context.live.broker_connected,
        store=await context.store.ping(),
        bootstrap=context.live.bootstrapped,
    )
    ready = checks.broker and checks.store and checks.bootstrap
    body = Readiness(ready=ready, checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
async def metrics(context: ContextDep) -> Response:
    """Prometheus metrics of this API instance (text exposition format)."""
    return Response(context.metrics.render(), media_type=CONTENT_TYPE)
