"""CSV import of users: upload (every row checked), then a job page that shows progress."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Request, UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from greenroom.admin_area import imports, service
from greenroom.admin_area.deps import AdminDep, WriterDep, settings_of
from greenroom.admin_area.pages import client_address, page
from greenroom.core.db import SessionDep

router = APIRouter(include_in_schema=False)
PATH = "/admin/imports"


@router.get(PATH)
async def import_form(request: Request, session: SessionDep, ctx: WriterDep) -> Response:
    jobs = await imports.recent_jobs(session, ctx.tenant)
    return page(request, ctx, "admin/import.html", {"jobs": jobs, "parsed": None}, section="users")


@router.post(PATH)
async def upload(
    request: Request,
    session: SessionDep,
    ctx: WriterDep,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File()],
) -> Response:
    limit = settings_of(request).upload_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        parsed = imports.Parsed()
        parsed.error(1, f"The file is larger than {limit} bytes.")
    else:
        # Checking every row takes a while for a large file (5,000 rows: about 250 ms of CPU):
        # in a thread, so that the event loop goes on serving other requests meanwhile.
        parsed = await asyncio.to_thread(imports.parse, data)
    if parsed.errors:
        jobs = await imports.recent_jobs(session, ctx.tenant)
        return page(
            request,
            ctx,
            "admin/import.html",
            {"jobs": jobs, "parsed": parsed},
            section="users",
            status_code=422,
        )
    job = await imports.start(
        session,
        ctx.tenant,
        ctx.view.value,
        rows=parsed.rows,
        created_by=ctx.actor,
        filename=file.filename or "",
    )
    await service.record(
        session, ctx.tenant, ctx.admin, service.USERS_IMPORTED, client=client_address(request),
        environment=ctx.view.value, details={"rows": str(job.total), "file": job.filename},
    )  # fmt: skip
    # The job must be committed before a runner (another session) can claim it.
    await session.commit()
    # This process starts it at once (after the response); should it die, any runner resumes it.
    if job.job_id is not None:
        background.add_task(request.app.state.jobs.run_now, job.job_id)
    return RedirectResponse(f"{PATH}/{job.id}", status_code=303)


@router.get(PATH + "/sample.csv")
async def sample(_ctx: WriterDep) -> Response:
    """A file to start from: the header and two rows (the second updates only an email)."""
    return Response(
        imports.SAMPLE_CSV,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="users-sample.csv"'},
    )


@router.get(PATH + "/{job_id}")
async def job_page(
    request: Request, session: SessionDep, ctx: AdminDep, job_id: uuid.UUID
) -> Response:
    job = await imports.get_job(session, ctx.tenant, job_id)
    problem = await imports.job_problem(session, job)
    return page(
        request, ctx, "admin/import_job.html", {"job": job, "problem": problem}, section="users"
    )


@router.get(PATH + "/{job_id}/status")
async def job_status(session: SessionDep, ctx: AdminDep, job_id: uuid.UUID) -> Response:
    job = await imports.get_job(session, ctx.tenant, job_id)
    status = {
        "status": job.status,
        "total": job.total,
        "processed": job.processed,
        "created": job.created_count,
        "updated": job.updated_count,
        "unchanged": job.unchanged_count,
        "errors": len(job.errors),
    }
    # Only while a failed batch waits for its retry, or when the import was given up.
    problem = await imports.job_problem(session, job)
    if problem:
        status["problem"] = problem
    return JSONResponse(status)
