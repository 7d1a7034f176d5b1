from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from greenroom.content.loader import Pack, get_pack


async def current_pack(request: Request) -> Pack:
    # Async on purpose: FastAPI runs a plain `def` dependency in a worker thread.
    return get_pack(request.app.state.settings.content_dir)


PackDep = Annotated[Pack, Depends(current_pack)]
