"""Users: search, filters, sorting and a paginated table; one user's page; the CSV export.

The table and the export read the read model of students (`admin_area.students`) on
`database.offload` sessions: a search over 100,000 students never holds up the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from greenroom.admin_area import charts, users_view
from greenroom.admin_area.deps import StaffDep
from greenroom.admin_area.pages import page
from greenroom.content.deps import PackDep
from greenroom.core.db import SessionDep
from greenroom.exports import service as exports
from greenroom.practice import service as practice

router = APIRouter(include_in_schema=False)
PATH = "/admin/users"
Search = Annotated[str, Query(max_length=320)]
Anonymous = Annotated[str, Query(pattern="^(|yes|no)$")]
Sort = Annotated[str, Query(pattern="^(created|name|activity|progress)$")]
Activity = Annotated[str, Query(pattern="^(|7d|30d|inactive14|inactive30|never)$")]
# A number from 0 to 100, or empty (the form sends empty fields as "").
Percent = Annotated[str, Query(pattern=r"^\s*(100|[1-9]?[0-9])?\s*$")]


def _percent(value: str) -> int | None:
    return int(value) if value.strip() else None


def _query(
    q: str = "",
    anonymous: str = "",
    sort: str = "created",
    activity: str = "",
    progress_min: str = "",
    progress_max: str = "",
    page: int = 1,
) -> users_view.UserQuery:
    return users_view.UserQuery(
        search=q.strip(), anonymous=anonymous, sort=sort, activity=activity,
        progress_min=_percent(progress_min), progress_max=_percent(progress_max), page=page,
    )  # fmt: skip


def page_links(current: int, pages: int) -> list[int | None]:
    """The page numbers the pager shows: the first, the last, and two either side of the
    current one; None where numbers are left out."""
    shown = sorted({1, pages, *range(max(1, current - 2), min(pages, current + 2) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and isinstance(links[-1], int) and number - links[-1] > 1:
            links.append(None)
        links.append(number)
    return links


@router.get(PATH)
async def users_page(
    request: Request,
    ctx: StaffDep,
    pack: PackDep,
    q: Search = "",
    anonymous: Anonymous = "",
    sort: Sort = "created",
    activity: Activity = "",
    progress_min: Percent = "",
    progress_max: Percent = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> Response:
    query = _query(q, anonymous, sort, activity, progress_min, progress_max, page_number)
    async with request.app.state.database.offload() as heavy:
        result = await users_view.search_users(heavy, ctx.tenant.org_id, ctx.view, query, pack)
    return page(
        request,
        ctx,
        "admin/users.html",
        {
            "result": result,
            "query": query,
            "sorts": users_view.SORTS,
            "activities": users_view.ACTIVITY,
            "pager": page_links(result.page, result.pages),
        },
        section="users",
    )


@router.get(PATH + "/export.csv")
async def export(
    request: Request,
    ctx: StaffDep,
    pack: PackDep,
    q: Search = "",
    anonymous: Anonymous = "",
    sort: Sort = "created",
    activity: Activity = "",
    progress_min: Percent = "",
    progress_max: Percent = "",
    bom: Annotated[bool, Query()] = False,
) -> Response:
    query = _query(q, anonymous, sort, activity, progress_min, progress_max)
    filename = f"{ctx.tenant.org.slug}-{ctx.view.value}-users.csv"
    return StreamingResponse(
        users_view.export_csv(
            request.app.state.database.offload, ctx.tenant.org_id, ctx.view, query, pack, bom=bom
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(PATH + "/{partner_id}")
async def user_page(
    request: Request, session: SessionDep, ctx: StaffDep, partner_id: str, pack: PackDep
) -> Response:
    user = await users_view.get_user(session, ctx.tenant.org_id, ctx.view, partner_id)
    summary = (await users_view.progress_of(session, [user], pack))[user.id]
    interviews = await practice.list_for_user(session, ctx.view_tenant, user, limit=100)
    recent = await exports.recent(session, ctx.view_tenant, user)
    return page(
        request,
        ctx,
        "admin/user.html",
        {
            "user": user,
            "progress": summary,
            "chart": charts.progress_bars(summary["modules"]),
            "interviews": interviews,
            "exports": [exports.public_export(e, user.partner_id) for e in recent],
        },
        section="users",
    )
