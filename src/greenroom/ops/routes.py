"""Liveness, readiness and metrics: answered on any host, no credentials."""

from __future__ import annotations

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from greenroom.core.errors import ServiceUnavailable

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> dict[str, str]:
    try:
        async with request.app.state.database.reader() as session:
            await session.execute(text("SELECT 1"))
    except Exception as exc:
        raise ServiceUnavailable(
            "The database is not reachable.", code="database_unavailable"
        ) from exc
    return {"status": "ready"}


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
