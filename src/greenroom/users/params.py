"""The `{partner_id}` path parameter: one definition for every route that takes it.

The rule is checked by the route class (`PartnerIdRoute`, the Partner API routers' class where a
path has `{partner_id}`), after authentication and before the endpoint, rather than by a FastAPI
dependency: a dependency is solved on every request (tens of microseconds), and the rule needs
the raw path, which a parameter's own validation never sees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Path, Request

from greenroom.auth.guard import ApiRoute
from greenroom.users.service import InvalidPartnerId, check_partner_id

PartnerId = Annotated[
    str,
    Path(
        description="Your own id for the user: 1 to 64 ASCII letters, digits, `-` or `_`.",
        examples=["abc123def"],
        # Documented, not checked by FastAPI: `PartnerIdRoute` answers 422 invalid_partner_id.
        json_schema_extra={"pattern": "^[A-Za-z0-9_-]{1,64}$"},
    ),
]
"""Declares `{partner_id}` for FastAPI and the OpenAPI document; `PartnerIdRoute` checks it."""


def check_path_partner_id(request: Request) -> None:
    """The path's partner_id exactly as sent: percent-encoding (`abc%41`) is never decoded into
    a valid id, since a valid id never needs it. Anything else is 422 `invalid_partner_id`."""
    if b"%" in (request.scope.get("raw_path") or b""):
        raise InvalidPartnerId(
            errors=[{"field": "partner_id", "message": InvalidPartnerId.default_detail}]
        )
    check_partner_id(request.path_params["partner_id"])


class PartnerIdRoute(ApiRoute):
    """An `ApiRoute` that applies the partner_id rule to the paths that have one."""

    def checks(self) -> Callable[[Request], None] | None:
        return check_path_partner_id if "{partner_id}" in self.path_format else None
