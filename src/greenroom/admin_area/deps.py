"""Who is signed in to the admin area, and what they may do.

The admin area lives on the org's production host. A page asks for `AdminDep` (any signed-in
admin) or `WriterDep` (role `admin`: viewers may look but change nothing, so their POSTs are 403).
Which environment's data the pages show is a choice stored in the admin's session (the sandbox
toggle in the navigation), not the host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from greenroom.admins.models import Admin, AdminRole
from greenroom.core.db import SessionDep
from greenroom.core.errors import AppError, Forbidden
from greenroom.core.settings import Settings
from greenroom.tenancy.context import Tenant, TenantDep
from greenroom.tenancy.hosts import Environment
from greenroom.websessions import service as websessions
from greenroom.websessions.models import WebSession

VIEW_KEY = "view"


class LoginRequired(AppError):
    """Rendered as a 303 to the log-in page (see `routes.install`), not as problem+json."""

    status, code, title = 401, "login_required", "Unauthorized"
    default_detail = "Sign in to the admin area."


class WrongHost(AppError):
    """The admin area was asked for on the sandbox host: sent to the production host."""

    status, code, title = 404, "wrong_host", "Not Found"


@dataclass(slots=True)
class AdminContext:
    admin: Admin
    web_session: WebSession
    tenant: Tenant
    token: str

    @property
    def can_write(self) -> bool:
        return self.admin.role == AdminRole.ADMIN.value

    @property
    def view(self) -> Environment:
        """The environment whose data the pages show (production unless toggled)."""
        raw = (self.web_session.data or {}).get(VIEW_KEY)
        return Environment.SANDBOX if raw == Environment.SANDBOX.value else Environment.PRODUCTION

    @property
    def view_tenant(self) -> Tenant:
        """The tenant as the API would see it on the chosen environment's host."""
        return Tenant(self.tenant.org, self.view, self.tenant.host)

    @property
    def actor(self) -> str:
        return self.admin.email


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def production_only(tenant: TenantDep) -> Tenant:
    if tenant.is_sandbox:
        raise WrongHost()
    return tenant


ProductionTenant = Annotated[Tenant, Depends(production_only)]


async def current_admin(
    request: Request, session: SessionDep, tenant: ProductionTenant
) -> AdminContext:
    settings = settings_of(request)
    token = request.cookies.get(websessions.COOKIE_NAMES["admin"])
    found = await websessions.load(
        session,
        settings,
        tenant,
        kind="admin",
        token=token,
        seen=request.app.state.websessions_seen,
    )
    if found is None or token is None:
        raise LoginRequired()
    admin = await session.get(Admin, found.subject_id)
    if admin is None or admin.org_id != tenant.org_id:
        raise LoginRequired()
    return AdminContext(admin, found, tenant, token)


AdminDep = Annotated[AdminContext, Depends(current_admin)]


async def current_writer(ctx: AdminDep) -> AdminContext:
    if not ctx.can_write:
        raise Forbidden("Viewers can look at the admin area but not change it.", code="read_only")
    return ctx


WriterDep = Annotated[AdminContext, Depends(current_writer)]
