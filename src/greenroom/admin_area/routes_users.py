"""Users: search and a paginated table, one user's page, the CSV export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from greenroom.admin_area import charts, users_view
from greenroom.admin_area.deps import AdminDep
from greenroom.admin_area.pages import page
from greenroom.content.deps import PackDep
from greenroom.core.db import SessionDep
from greenroom.practice import service as practice

router = APIRouter(include_in_schema=False)
PATH = "/admin/users"


def _query(
    q: Annotated[str, Query(max_length=320)] = "",
    anonymous: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> users_view.UserQuery:
    return users_view.UserQuery(search=q, anonymous=anonymous, page=page)


@router.get(PATH)
async def users_page(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    q: Annotated[str, Query(max_length=320)] = "",
    anonymous: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    *,
    pack: PackDep,
) -> Response:
    query = _query(q, anonymous, page_number)
    result = await users_view.search(session, ctx.tenant.org_id, ctx.view, query, pack)
    return page(
        request, ctx, "admin/users.html", {"result": result, "query": query}, section="users"
    )


@router.get(PATH + "/export.csv")
async def export(
    request: Request,
    ctx: AdminDep,
    q: Annotated[str, Query(max_length=320)] = "",
    anonymous: Annotated[str, Query(pattern="^(|yes|no)$")] = "",
    *,
    pack: PackDep,
) -> Response:
    query = _query(q, anonymous)
    filename = f"{ctx.tenant.org.slug}-{ctx.view.value}-users.csv"
    return StreamingResponse(
        users_view.export_csv(
            request.app.state.sessionmaker, ctx.tenant.org_id, ctx.view, query, pack
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(PATH + "/{partner_id}")
async def user_page(
    request: Request, session: SessionDep, ctx: AdminDep, partner_id: str, pack: PackDep
) -> Response:
    user = await users_view.get_user(session, ctx.tenant.org_id, ctx.view, partner_id)
    summary = (await users_view.progress_of(session, [user], pack))[user.id]
    interviews = await practice.list_for_user(session, ctx.view_tenant, user, limit=10)
    return page(
        request,
        ctx,
        "admin/user.html",
        {
            "user": user,
            "progress": summary,
            "chart": charts.progress_bars(summary["modules"]),
            "interviews": interviews,
        },
        section="users",
    )
