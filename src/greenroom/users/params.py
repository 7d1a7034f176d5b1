"""The `{partner_id}` path parameter, one definition for every route that takes it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from greenroom.users.service import InvalidPartnerId, check_partner_id


async def _partner_id(
    request: Request,
    partner_id: Annotated[
        str,
        Path(
            description="Your own id for the user: 1 to 64 ASCII letters, digits, `-` or `_`.",
            examples=["abc123def"],
        ),
    ],
) -> str:
    """The path's partner_id exactly as sent: percent-encoding (`abc%41`) is never decoded into
    a valid id, since a valid id never needs it. Anything else is 422 `invalid_partner_id`.

    Async on purpose: FastAPI runs a plain `def` dependency in a worker thread."""
    raw_path = request.scope.get("raw_path") or b""
    if b"%" in raw_path:
        raise InvalidPartnerId(
            errors=[{"field": "partner_id", "message": InvalidPartnerId.default_detail}]
        )
    return check_partner_id(partner_id)


PartnerId = Annotated[str, Depends(_partner_id)]
