"""A student's data export from their page (`/admin/users/{partner_id}`): admins start it,
the page shows its state, and the ZIP downloads through the admin area with the admin's
session. Starting and downloading are audit entries (`user.exported`,
`user.export_downloaded`). The export itself is `exports.service`, as for the API."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from starlette.responses import RedirectResponse, Response

from greenroom.admin_area import service, users_view
from greenroom.admin_area.deps import WriterDep
from greenroom.admin_area.pages import client_address
from greenroom.core.db import SessionDep, WriterSessionDep
from greenroom.exports import service as exports

router = APIRouter(include_in_schema=False)


@router.post("/admin/users/{partner_id}/exports")
async def start_export(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    partner_id: str,
    background: BackgroundTasks,
) -> Response:
    user = await users_view.get_user(session, ctx.tenant.org_id, ctx.view, partner_id)
    export, job_id = await exports.start(
        session, ctx.view_tenant, user.id, requested_by=f"admin:{ctx.admin.email}"
    )
    await service.record(
        session, ctx.tenant, ctx.admin, service.USER_EXPORTED, client=client_address(request),
        environment=ctx.view.value,
        details={"partner_id": user.partner_id, "export_id": str(export.id)},
    )  # fmt: skip
    # The job must be committed before a runner (another session) can claim it.
    await session.commit()
    if job_id is not None:
        background.add_task(request.app.state.jobs.run_now, job_id)
    return RedirectResponse(f"/admin/users/{user.partner_id}#export", status_code=303)


@router.get("/admin/users/{partner_id}/exports/{export_id}/download")
async def download_export(
    request: Request, session: WriterSessionDep, ctx: WriterDep, partner_id: str, export_id: str
) -> Response:
    user = await users_view.get_user(session, ctx.tenant.org_id, ctx.view, partner_id)
    export, path = await exports.file_of(
        session, ctx.view_tenant, user, export_id, request.app.state.exports
    )
    await service.record(
        session, ctx.tenant, ctx.admin, service.USER_EXPORT_DOWNLOADED,
        client=client_address(request), environment=ctx.view.value,
        details={"partner_id": user.partner_id, "export_id": str(export.id)},
    )  # fmt: skip
    return exports.download(user, export, path)
