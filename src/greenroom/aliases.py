"""Paths that Big Interview's own documents print, leading to ours, so that links a partner
copied from them keep working (docs/integrators-guide.md, "Moving from Big Interview").

`GET /api/users/{partner_id}/track` (their getting-started page) sits beside `/tracks` in
`progress/routes.py`; the pages are here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import RedirectResponse, Response

from greenroom.content.deps import PackDep

router = APIRouter(include_in_schema=False)
DASHBOARD = "/members/dashboard"


@router.get("/admin/login")
async def admin_login(request: Request) -> Response:
    """Their webhooks guide sends admins to `/admin/login`; ours is `/login/admin`."""
    query = request.url.query
    return RedirectResponse("/login/admin" + (f"?{query}" if query else ""), status_code=301)


@router.get("/members/curriculum")
async def curriculum(
    pack: PackDep, chapter: Annotated[str | None, Query(max_length=10)] = None
) -> Response:
    """Their deep link `/members/curriculum?chapter=N` (also as `redirect_to` at sign-in) opens
    the N-th module of the practice app (1 is the first); anything else opens the dashboard.
    The module page itself asks for a signed-in member."""
    number = int(chapter) if chapter and chapter.isascii() and chapter.isdigit() else 0
    if 1 <= number <= len(pack.modules):
        return RedirectResponse(pack.modules[number - 1].link, status_code=303)
    return RedirectResponse(DASHBOARD, status_code=303)
