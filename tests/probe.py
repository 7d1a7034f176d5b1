"""Routes mounted only in the test app, to reach every error status through the real stack."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ConfigDict

from greenroom.app import create_app
from greenroom.auth.guard import ApiRoute, principal_of, requires
from greenroom.core.db import SessionDep
from greenroom.core.errors import Forbidden, RateLimited, Unauthorized
from greenroom.keys import service as keys
from greenroom.keys.scopes import Scope
from greenroom.tenancy.context import TenantDep

router = APIRouter(prefix="/api/_probe", include_in_schema=False)
# Probes that need a key, as every real Partner API route does.
authenticated = APIRouter(prefix="/api/_probe", include_in_schema=False, route_class=ApiRoute)


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    count: int


@router.post("/echo")
async def echo(thing: Thing, tenant: TenantDep) -> dict[str, object]:
    return {
        "name": thing.name,
        "count": thing.count,
        "org": tenant.org.slug,
        "environment": tenant.environment.value,
    }


@router.get("/fail/{status}")
async def fail(status: int) -> None:
    if status == 401:
        raise Unauthorized(headers={"WWW-Authenticate": "Bearer"})
    if status == 403:
        raise Forbidden()
    if status == 429:
        raise RateLimited(headers={"Retry-After": "7"})
    raise RuntimeError("secret internals: password=hunter2 SELECT * FROM admins")


@authenticated.get("/whoami")
@requires(Scope.USERS_READ)
async def whoami(request: Request) -> dict[str, object]:
    principal = principal_of(request)
    return {
        "key_name": principal.key_name,
        "scopes": sorted(principal.scopes),
        "environment": principal.tenant.environment.value,
    }


@router.post("/keys/{key_id}/revoke", status_code=204)
async def revoke_key(key_id: uuid.UUID, tenant: TenantDep, session: SessionDep) -> None:
    """Revokes through this process, as the admin area will (it calls the same service)."""
    await keys.revoke_key(session, tenant.org_id, key_id, actor="cli")


def include(application: FastAPI) -> None:
    application.include_router(router)
    application.include_router(authenticated)


def create_probe_app() -> FastAPI:
    """The real app plus these probes, for tests that start real server processes."""
    application = create_app()
    include(application)
    return application
