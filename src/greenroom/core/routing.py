"""How routers join the app: their routes go straight into the app's route table.

FastAPI's `include_router` keeps each router as a nested node that is matched twice on every
request and saves and restores scope keys around each match; measured in process, that is about
10 us per request through one router (see docs/decisions.md, "Performance of the hot path"). Our
routers carry no include-time options (prefix, tags and scope dependencies are set on the
routers themselves), so their routes are added as they are, in order.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI


def add_routes(app: FastAPI, router: APIRouter) -> None:
    if router.on_startup or router.on_shutdown:
        raise ValueError("routers added flat may not have startup or shutdown handlers")
    app.router.routes.extend(router.routes)
