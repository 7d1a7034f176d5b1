"""The signed-in admin's own account: their password, their sessions, signing out everywhere."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import flash, service
from greenroom.admin_area.deps import PASSWORD_PATH, StaffDep, settings_of
from greenroom.admin_area.pages import client_address, page
from greenroom.core.db import SessionDep
from greenroom.core.errors import Conflict, ValidationFailed
from greenroom.websessions import service as websessions

router = APIRouter(include_in_schema=False)
PATH = "/admin/account"


@router.get(PATH)
async def account_page(request: Request, session: SessionDep, ctx: StaffDep) -> Response:
    sessions = await websessions.live_sessions(session, settings_of(request), ctx.admin.id, "admin")
    return page(
        request,
        ctx,
        "admin/account.html",
        {
            "sessions": sessions,
            "current": ctx.web_session.id,
            "flash": await flash.take(request, ctx),
        },
        section="account",
    )


def _password_form(
    request: Request, ctx: StaffDep, *, error: ValidationFailed | None = None
) -> Response:
    return page(
        request,
        ctx,
        "admin/password.html",
        {
            "forced": ctx.admin.must_change_password,
            "error": error.detail if error else None,
            "errors": {e["field"]: e["message"] for e in (error.errors or [])} if error else {},
        },
        section="account",
        status_code=error.status if error else 200,
    )


@router.get(PASSWORD_PATH)
async def password_form(request: Request, ctx: StaffDep) -> Response:
    return _password_form(request, ctx)


@router.post(PASSWORD_PATH)
async def change_password(
    request: Request,
    session: SessionDep,
    ctx: StaffDep,
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    confirm: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    forced = ctx.admin.must_change_password
    try:
        await service.change_own_password(
            session, ctx.admin, current=current, new=new, confirm=confirm,
            keep_session=ctx.web_session.id,
        )  # fmt: skip
    except ValidationFailed as exc:
        return _password_form(request, ctx, error=exc)
    await service.record(
        session, ctx.tenant, ctx.admin, service.ADMIN_PASSWORD_CHANGED,
        client=client_address(request), details={"after_one_time_password": forced},
    )  # fmt: skip
    flash.put(ctx, "notice", text="Your password is changed; your other sessions have ended.")
    return RedirectResponse("/admin" if forced else PATH, status_code=303)


@router.post(PATH + "/sessions/{session_id}/end")
async def end_session(
    request: Request, session: SessionDep, ctx: StaffDep, session_id: uuid.UUID
) -> Response:
    if session_id == ctx.web_session.id:
        raise Conflict("Use Log out to end the session you are using.", code="current_session")
    ended = await websessions.end_one(session, ctx.admin.id, session_id)
    flash.put(ctx, "notice", text="The session has ended." if ended else "That session had ended.")
    return RedirectResponse(PATH, status_code=303)


@router.post(PATH + "/sessions/end-all")
async def sign_out_everywhere(request: Request, session: SessionDep, ctx: StaffDep) -> Response:
    """Ends every session of this admin, this one included."""
    await websessions.end_all_for(session, ctx.admin.id)
    await service.record(
        session, ctx.tenant, ctx.admin, service.ADMIN_SIGNED_OUT_EVERYWHERE,
        client=client_address(request),
    )  # fmt: skip
    response = RedirectResponse("/login/admin", status_code=303)
    websessions.clear_cookie(response, settings_of(request), "admin")
    return response
