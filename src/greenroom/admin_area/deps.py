"""Who is signed in to the admin area, and what their role lets them do.

The admin area lives on the org's production host. A page asks for one of:

- `StaffDep`: anyone signed in (`admin`, `viewer`, `coach`): the dashboard, users, question sets,
  their own account;
- `CoachDep`: `admin` or `coach`: playing students' recordings, commenting on answers;
- `AdminDep`: `admin` or `viewer`: keys, webhooks, admins, the audit log (never a coach);
- `WriterDep`: `admin` only: every change but comments (viewers look and change nothing).

A role that may not open a page gets 403 (an HTML page). Which environment's data the pages
show is a choice stored in the admin's session (the sandbox toggle), not the host. An admin who
signed in with a one-time password is sent to choose a new one before any other page.
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
PASSWORD_PATH = "/admin/account/password"  # noqa: S105 (a path)
# What an admin who must choose a new password may still open.
OPEN_WHILE_CHANGING = frozenset({PASSWORD_PATH, "/admin/logout"})


class LoginRequired(AppError):
    """Rendered as a 303 to the log-in page (see `routes.install`), not as an error page; `next`
    is the page asked for, to return to after log-in (GET requests only)."""

    status, code, title = 401, "login_required", "Unauthorized"
    default_detail = "Sign in to the admin area."

    def __init__(self, next_path: str | None = None) -> None:
        super().__init__()
        self.next_path = next_path


class PasswordChangeRequired(AppError):
    """Rendered as a 303 to the password page: the admin signed in with a one-time password."""

    status, code, title = 403, "password_change_required", "Forbidden"
    default_detail = "Choose a new password first."


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
    def role(self) -> str:
        return self.admin.role

    @property
    def can_write(self) -> bool:
        """May change settings, keys, admins, users (role `admin`)."""
        return self.admin.role == AdminRole.ADMIN.value

    @property
    def can_coach(self) -> bool:
        """May play students' recordings and comment on their answers."""
        return self.admin.role in (AdminRole.ADMIN.value, AdminRole.COACH.value)

    @property
    def sees_settings(self) -> bool:
        """May open keys, webhooks, admins and the audit log (not a coach)."""
        return self.admin.role != AdminRole.COACH.value

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


def _asked_for(request: Request) -> str | None:
    if request.method != "GET":
        return None
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def current_staff(
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
        raise LoginRequired(_asked_for(request))
    admin = await session.get(Admin, found.subject_id)
    if admin is None or admin.org_id != tenant.org_id:
        raise LoginRequired(_asked_for(request))
    if admin.must_change_password and request.url.path not in OPEN_WHILE_CHANGING:
        raise PasswordChangeRequired()
    return AdminContext(admin, found, tenant, token)


StaffDep = Annotated[AdminContext, Depends(current_staff)]


async def current_admin(ctx: StaffDep) -> AdminContext:
    if not ctx.sees_settings:
        raise Forbidden(
            "Coaches work with students: keys, webhooks, admins and the audit log are for admins.",
            code="not_for_coaches",
        )
    return ctx


AdminDep = Annotated[AdminContext, Depends(current_admin)]


async def current_coach(ctx: StaffDep) -> AdminContext:
    if not ctx.can_coach:
        raise Forbidden(
            "Only admins and coaches can play recordings and comment on answers.",
            code="not_a_coach",
        )
    return ctx


CoachDep = Annotated[AdminContext, Depends(current_coach)]


async def current_writer(ctx: AdminDep) -> AdminContext:
    if not ctx.can_write:
        raise Forbidden("Viewers can look at the admin area but not change it.", code="read_only")
    return ctx


WriterDep = Annotated[AdminContext, Depends(current_writer)]
