"""The dashboard (`/admin`, the landing page): the cohort of the environment in view over a
period, with each chart's numbers as a table and as CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from greenroom.admin_area import charts, dashboard
from greenroom.admin_area.deps import StaffDep
from greenroom.admin_area.pages import page
from greenroom.admin_area.users_view import timestamp
from greenroom.content import service as content
from greenroom.content.deps import PackDep
from greenroom.content.loader import Pack
from greenroom.core.db import SessionDep
from greenroom.core.errors import NotFound

router = APIRouter(include_in_schema=False)
Period = Annotated[str, Query(pattern="^(7|30|90|all)$")]


async def _board(
    request: Request, session: SessionDep, ctx: StaffDep, pack: Pack, period: str
) -> dashboard.Dashboard:
    titles = {s.slug: s.title for s in await content.sets_for(session, ctx.tenant.org, pack)}
    async with request.app.state.database.offload() as heavy:
        return await dashboard.build(
            heavy, ctx.tenant.org_id, ctx.view, pack, period, titles=titles
        )


@router.get("/admin")
async def dashboard_page(
    request: Request,
    session: SessionDep,
    ctx: StaffDep,
    pack: PackDep,
    period: Period = dashboard.DEFAULT_PERIOD,
) -> Response:
    board = await _board(request, session, ctx, pack, period)
    weekly = [(f"{w:%d %b}", n) for w, n in board.weekly]
    return page(
        request,
        ctx,
        "admin/dashboard.html",
        {
            "board": board,
            "periods": dashboard.PERIODS,
            "inactive_days": dashboard.INACTIVE_DAYS,
            "weekly_chart": charts.columns(weekly),
            "funnel_chart": charts.bars([(label, n) for _k, label, n in board.funnel_steps()]),
            "progress_chart": charts.bars(board.distribution, label_width=90),
            "sets_chart": charts.bars([(s.title, s.interviews) for s in board.question_sets]),
            "generated": timestamp(board.now),
            # The same rows as the CSV downloads.
            "tables": {chart: dashboard.table(board, chart)[1] for chart in dashboard.CHARTS},
        },
        section="dashboard",
    )


@router.get("/admin/dashboard.csv")
async def dashboard_csv(
    request: Request,
    session: SessionDep,
    ctx: StaffDep,
    pack: PackDep,
    chart: Annotated[str, Query(max_length=32)] = "weekly",
    period: Period = dashboard.DEFAULT_PERIOD,
    bom: Annotated[bool, Query()] = False,
) -> Response:
    if chart not in dashboard.CHARTS:
        raise NotFound("No such chart.", code="chart_not_found")
    board = await _board(request, session, ctx, pack, period)
    filename = f"{ctx.tenant.org.slug}-{ctx.view.value}-{chart}-{period}.csv"
    return Response(
        dashboard.csv_text(board, chart, bom=bom),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
