"""Liveness, readiness and metrics: answered on any host, no credentials."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from greenroom.auth.ratelimit import MemoryStore, Storage
from greenroom.core.errors import ServiceUnavailable

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def _limit_store(request: Request) -> Storage:
    storage: Storage = request.app.state.authenticator.limiter.storage
    return storage


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    """503 when the database does not answer. Redis, when configured, is reported but does not
    fail the check: without it every process keeps serving, with limits in its own memory
    (docs/operations.md), and taking every process out of rotation would be a full outage."""
    try:
        async with request.app.state.database.reader() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable(
            "The database is not reachable.", code="database_unavailable"
        ) from exc
    store = _limit_store(request)
    if isinstance(store, MemoryStore):
        return {"status": "ready"}
    if await store.ping():
        return {"status": "ready", "redis": "ok"}
    return {"status": "degraded", "redis": "unreachable"}


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics
    registry.watch_redis(_limit_store(request))
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
