"""Cursor pagination shared by every list endpoint (docs/partner-api.md, Conventions).

A cursor is an opaque, URL-safe token holding the sort key of the last row returned. Clients
must not build or parse them; a tampered cursor is a 400 `invalid_cursor`.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import Depends, Query

from greenroom.core.errors import BadRequest

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class InvalidCursor(BadRequest):
    code = "invalid_cursor"
    default_detail = "The cursor is not one this API returned."


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise InvalidCursor() from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidCursor()
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        raise InvalidCursor()
    return values


class Page:
    """`?limit=&cursor=` as one dependency."""

    def __init__(
        self,
        limit: Annotated[
            int, Query(ge=1, le=MAX_LIMIT, description="Items per page, 1 to 200.")
        ] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None,
            Query(max_length=512, description="`next_cursor` from the previous page."),
        ] = None,
    ) -> None:
        self.limit = limit
        self.cursor = cursor


PageDep = Annotated[Page, Depends()]
