"""Privacy: how long the org keeps students' recordings (and, if chosen, their transcripts).

Admins and viewers see the setting; only admins change it. A change is audited
(`org.retention_changed`) and applied by the retention sweep's next round
(practice/retention.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import flash
from greenroom.admin_area.deps import AdminContext, AdminDep, WriterDep
from greenroom.admin_area.pages import client_address, page
from greenroom.core.db import SessionDep
from greenroom.core.errors import ValidationFailed
from greenroom.tenancy import service as orgs
from greenroom.tenancy.models import Organization

router = APIRouter(include_in_schema=False)
PATH = "/admin/privacy"


async def _org(session: SessionDep, ctx: AdminContext) -> Organization:
    org = await session.get(Organization, ctx.tenant.org_id)
    assert org is not None  # the tenant's own org
    return org


def _render(
    request: Request,
    ctx: AdminContext,
    current: orgs.Retention,
    *,
    days: str,
    transcripts: bool,
    error: str | None = None,
    message: dict[str, object] | None = None,
) -> Response:
    return page(
        request,
        ctx,
        "admin/privacy.html",
        {
            "current": current,
            "days": days,
            "transcripts": transcripts,
            "error": error,
            "flash": message,
            "max_days": orgs.MAX_RETENTION_DAYS,
        },
        section="privacy",
        status_code=422 if error else 200,
    )


@router.get(PATH)
async def privacy(request: Request, session: SessionDep, ctx: AdminDep) -> Response:
    current = orgs.Retention.of(await _org(session, ctx))
    return _render(
        request,
        ctx,
        current,
        days="" if current.days is None else str(current.days),
        transcripts=current.includes_transcripts,
        message=await flash.take(request, ctx),
    )


@router.post(PATH)
async def set_retention(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    recording_retention_days: Annotated[str, Form(max_length=100)] = "",
    retention_includes_transcripts: Annotated[bool, Form()] = False,
) -> Response:
    org = await _org(session, ctx)
    try:
        wanted = orgs.Retention(
            orgs.parse_retention_days(recording_retention_days), retention_includes_transcripts
        )
    except ValidationFailed as exc:
        return _render(
            request,
            ctx,
            orgs.Retention.of(org),
            days=recording_retention_days,
            transcripts=retention_includes_transcripts,
            error=exc.detail,
        )
    changed = await orgs.set_retention(
        session,
        org,
        wanted,
        actor=f"admin:{ctx.actor}",
        admin_id=ctx.admin.id,
        client_address=client_address(request),
    )
    text = (
        f"Recording retention is now {wanted.describe()}."
        if changed
        else f"Recording retention stays {wanted.describe()}."
    )
    flash.put(ctx, "notice", text=text)
    return RedirectResponse(PATH, status_code=303)
