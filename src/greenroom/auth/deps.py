"""Authentication of every `/api/` request, and the scope each endpoint needs.

Three forms are accepted (DESIGN section 3):
- `Authorization: {api_key}` (Big Interview),
- `X-API-Key: {api_key}` with `Authorization: Bearer {access_token}` (Exterview),
- `X-API-Key: {api_key}` alone.

Endpoints declare their scope once, through the `Annotated` aliases at the bottom.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, Request

from greenroom.admins.models import AdminRole
from greenroom.auth.authenticator import Authenticator
from greenroom.auth.errors import (
    InsufficientScope,
    InvalidApiKey,
    InvalidAuthHeader,
    MissingCredentials,
)
from greenroom.auth.principal import Principal
from greenroom.auth.scopes import READ_SCOPES, Scope
from greenroom.core import clock
from greenroom.core.logging import key_id_var
from greenroom.tenancy.context import get_tenant

_KEY_RE = re.compile(r"^[0-9a-fA-F]{32}$")


def _single(request: Request, name: str) -> str | None:
    values = request.headers.getlist(name)
    if len(values) > 1:
        raise InvalidAuthHeader(f"Send one {name} header, not {len(values)}.")
    return values[0].strip() if values else None


def _check_key_format(value: str, header: str) -> str:
    if not _KEY_RE.fullmatch(value):
        raise InvalidAuthHeader(f"The {header} header must hold a 32-character hex API key.")
    return value.lower()


def parse_credentials(request: Request) -> tuple[str, str | None]:
    """(api_key, bearer_token or None) from the headers, or the right 400/401."""
    authorization = _single(request, "authorization")
    x_api_key = _single(request, "x-api-key")
    if not authorization and not x_api_key:
        raise MissingCredentials()
    bearer: str | None = None
    key_from_authorization: str | None = None
    if authorization:
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() == "bearer":
            bearer = rest.strip()
            if not bearer or " " in bearer:
                raise InvalidAuthHeader("'Authorization: Bearer' must be followed by a token.")
            if not x_api_key:
                raise InvalidAuthHeader("A bearer token must come with the org key in X-API-Key.")
        else:
            key_from_authorization = _check_key_format(authorization, "Authorization")
    key_from_header = _check_key_format(x_api_key, "X-API-Key") if x_api_key else None
    if key_from_authorization and key_from_header and key_from_authorization != key_from_header:
        raise InvalidAuthHeader("Authorization and X-API-Key hold two different keys.")
    api_key = key_from_header or key_from_authorization
    assert api_key is not None
    return api_key, bearer


async def authenticate(request: Request) -> Principal:
    """The caller, or the right 400/401/429. The OpenAPI document's security schemes are added
    by `auth.openapi` rather than by FastAPI security dependencies, which would cost three more
    dependency resolutions on every request."""
    tenant = get_tenant(request)  # not TenantDep: one dependency less to resolve per request
    api_key, bearer = parse_credentials(request)
    authenticator: Authenticator = request.app.state.authenticator
    # On a cache hit without a bearer token no session is opened at all.
    key = await authenticator.resolve_key(request, api_key)
    now = clock.now()
    if (
        key is None
        or key.org_id != tenant.org_id
        or key.environment != tenant.environment.value
        or not key.usable_at(now)
    ):
        raise InvalidApiKey()
    key_id_var.set(str(key.id))
    await authenticator.limiter.hit(tenant.org, key.id)
    authenticator.note_use(key, now)
    if bearer is None:
        return Principal(
            tenant=tenant,
            key_id=key.id,
            key_name=key.name,
            key_last4=key.last4,
            scopes=key.scopes,
            key_scopes=key.scopes,
        )
    access = await authenticator.resolve_bearer(request, tenant, bearer)
    role = access.admin_role
    return Principal(
        tenant=tenant,
        key_id=key.id,
        key_name=key.name,
        key_last4=key.last4,
        scopes=key.scopes if role == AdminRole.ADMIN else key.scopes & READ_SCOPES,
        key_scopes=key.scopes,
        admin_id=access.admin_id,
        admin_email=access.admin_email,
        admin_role=role,
    )


AuthenticatedDep = Annotated[Principal, Depends(authenticate)]


def require_scope(scope: Scope) -> Any:
    """A dependency that authenticates and demands `scope` (403 `insufficient_scope`).

    `auth.openapi` reads the scope from here, so each operation documents the scope it needs.
    """

    async def check(principal: AuthenticatedDep) -> Principal:
        if scope not in principal.scopes:
            raise InsufficientScope(scope.value)
        return principal

    check.__name__ = f"require_{scope.value.replace(':', '_')}"
    check.required_scope = scope  # type: ignore[attr-defined]
    return Depends(check)


UsersRead = Annotated[Principal, require_scope(Scope.USERS_READ)]
UsersWrite = Annotated[Principal, require_scope(Scope.USERS_WRITE)]
UsersDelete = Annotated[Principal, require_scope(Scope.USERS_DELETE)]
ProgressRead = Annotated[Principal, require_scope(Scope.PROGRESS_READ)]
SsoCreate = Annotated[Principal, require_scope(Scope.SSO_CREATE)]
AnonymousCreate = Annotated[Principal, require_scope(Scope.ANONYMOUS_CREATE)]
WebhooksManage = Annotated[Principal, require_scope(Scope.WEBHOOKS_MANAGE)]
