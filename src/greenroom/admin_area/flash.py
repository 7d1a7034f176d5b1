"""One-time messages from a form to the page it redirects to (post/redirect/get).

A form that creates something answers 303 to a page, so reloading that page never submits the
form again. What the form has to say ("Key created", and the key itself, shown once) travels in
the admin's server-side session: `put` stores it with the form's own transaction, `take` (on the
page's GET) reads it and removes it in a short transaction of its own, so it is shown exactly
once, in one tab.

A message can hold a secret (a new API key, a one-time password, a webhook signing secret), so
it is sealed (AES-GCM) under a key derived from the session's token, which only the browser's
cookie holds (the database keeps its HMAC): a copy of the database never reveals it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request

from greenroom.admin_area.deps import AdminContext
from greenroom.websessions.models import WebSession

KEY = "flash"
_NONCE = 12


def _key(token: str) -> bytes:
    return hashlib.sha256(b"greenroom flash v1\0" + token.encode()).digest()


def _seal(ctx: AdminContext, message: dict[str, Any]) -> str:
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(_key(ctx.token)).encrypt(
        nonce, json.dumps(message).encode(), ctx.web_session.id.bytes
    )
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def _open(ctx: AdminContext, raw: str) -> dict[str, Any] | None:
    try:
        data = base64.urlsafe_b64decode(raw.encode())
        plain = AESGCM(_key(ctx.token)).decrypt(
            data[:_NONCE], data[_NONCE:], ctx.web_session.id.bytes
        )
    except (ValueError, InvalidTag):
        return None
    message: dict[str, Any] = json.loads(plain)
    return message


def put(ctx: AdminContext, kind: str, **data: Any) -> None:
    """Leave a message for the next page; call it in a POST (its session writes the session
    row). `kind` picks how `templates/admin/_flash.html` shows it."""
    ctx.web_session.data = {**(ctx.web_session.data or {}), KEY: _seal(ctx, {"kind": kind, **data})}


async def take(request: Request, ctx: AdminContext) -> dict[str, Any] | None:
    """The message waiting for this page, removed as it is read (None when there is none)."""
    raw = (ctx.web_session.data or {}).get(KEY)
    if not isinstance(raw, str):
        return None
    database = request.app.state.database
    async with database.writer() as session, session.begin():
        row = await session.get(WebSession, ctx.web_session.id, with_for_update=True)
        if row is None or (row.data or {}).get(KEY) != raw:
            return None  # another request took it first
        row.data = {k: v for k, v in row.data.items() if k != KEY}
    return _open(ctx, raw)
