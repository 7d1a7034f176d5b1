"""The request-scoped tenant: which org and environment a request is about.

`TenancyMiddleware` resolves it from the `Host` header once per request (with a short per-process
cache) and refuses unknown hosts with a 404. Every feature reads it through `TenantDep`, and every
repository function takes it, so no query can forget the org or the environment.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from greenroom.core.errors import NotFound, problem_response
from greenroom.core.logging import environment_var, org_var
from greenroom.core.settings import Settings
from greenroom.core.tenant import OrgSnapshot as OrgSnapshot  # re-exported for the features
from greenroom.core.tenant import Tenant as Tenant  # re-exported for the features
from greenroom.core.ttlcache import TTLCache
from greenroom.tenancy import repository
from greenroom.tenancy.hosts import parse_host

# Paths that answer on any host (load balancers probe them by address).
HOSTLESS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class OrgResolver:
    """Org look-up by slug, cached per process for at most `ttl` seconds (unknown slugs too)."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl: float) -> None:
        self._sessions = sessions
        self._cache: TTLCache[str, OrgSnapshot | None] = TTLCache(ttl)
        self._lookups: dict[str, asyncio.Future[OrgSnapshot | None]] = {}

    async def get(self, slug: str) -> OrgSnapshot | None:
        hit, snapshot = self._cache.get(slug)
        if hit:
            return snapshot
        # Single flight: when the entry expires under load, one query refreshes it and the
        # requests arriving meanwhile wait for that one instead of piling up on the database.
        pending = self._lookups.get(slug)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[OrgSnapshot | None] = asyncio.get_running_loop().create_future()
        self._lookups[slug] = future
        try:
            async with self._sessions() as session:
                org = await repository.get_by_slug(session, slug)
                snapshot = OrgSnapshot.of(org) if org else None
            self._cache.put(slug, snapshot)
            future.set_result(snapshot)
            return snapshot
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()
            raise
        finally:
            del self._lookups[slug]

    def forget(self, slug: str) -> None:
        self._cache.drop(slug)


class TenancyMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, resolver: OrgResolver) -> None:
        self.app = app
        self.settings = settings
        self.resolver = resolver

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in HOSTLESS_PATHS:
            await self.app(scope, receive, send)
            return
        host = self._host(scope)
        match = parse_host(host, self.settings.base_domain)
        org = await self.resolver.get(match.slug) if match else None
        if match is None or org is None:
            response = problem_response(
                NotFound("No organization is served at this address.", code="unknown_host")
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["tenant"] = Tenant(org, match.environment, host or "")
        org_var.set(org.slug)
        environment_var.set(match.environment.value)
        await self.app(scope, receive, send)

    def _host(self, scope: Scope) -> str | None:
        headers: dict[bytes, bytes] = dict(scope["headers"])
        if self.settings.trust_proxy and b"x-forwarded-host" in headers:
            # The first entry is the one the client asked for.
            return headers[b"x-forwarded-host"].decode("latin-1").split(",")[0].strip()
        raw = headers.get(b"host")
        return raw.decode("latin-1") if raw is not None else None


def get_tenant(request: Request) -> Tenant:
    tenant = request.scope.get("state", {}).get("tenant")  # `request.state` wraps this dict
    if tenant is None:  # only the host-less operational paths get here without one
        raise NotFound(code="unknown_host")
    assert isinstance(tenant, Tenant)
    return tenant


async def _tenant_dependency(request: Request) -> Tenant:
    # Async on purpose: FastAPI runs a plain `def` dependency in a worker thread, which costs
    # more than everything else on the authenticated hot path.
    return get_tenant(request)


TenantDep = Annotated[Tenant, Depends(_tenant_dependency)]
