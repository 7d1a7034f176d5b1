"""The audit log: who did what to an org's credentials, when, and from where.

`record` is called by every feature inside its own transaction (so an event is logged exactly
when the change it describes is committed); `list_events` feeds the admin area's audit page.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.audit import repository
from greenroom.audit.models import AuditEvent
from greenroom.core import clock
from greenroom.core.db import new_id
from greenroom.core.logging import request_id_var
from greenroom.core.pagination import decode_position, next_page


class AuditEventType(StrEnum):
    KEY_CREATED = "key.created"
    KEY_ROLLED = "key.rolled"
    KEY_REVOKED = "key.revoked"
    TOKEN_ISSUED = "token.issued"  # noqa: S105 (an event name)
    TOKEN_REFRESHED = "token.refreshed"  # noqa: S105 (an event name)
    TOKEN_REUSED = "token.reused"  # noqa: S105 (an event name)
    TOKEN_REVOKED = "token.revoked"  # noqa: S105 (an event name)
    LOGIN_SUCCEEDED = "admin.login_succeeded"
    LOGIN_FAILED = "admin.login_failed"


def _text(value: str, limit: int) -> str:
    """A text of an entry, cut to its column. A NUL (in an email typed at a log-in) becomes
    U+FFFD: PostgreSQL refuses NUL in text, and one such entry failed the whole write-behind
    batch of failed log-ins, other orgs' entries with it."""
    return value.replace("\x00", "\ufffd")[:limit]


async def record(
    session: AsyncSession,
    *,
    org_id: uuid.UUID,
    environment: str | None,
    event: AuditEventType | str,
    actor: str,
    admin_id: uuid.UUID | None = None,
    key_id: uuid.UUID | None = None,
    client_address: str | None = None,
    request_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the session (it is committed with the caller's transaction).

    `actor` is "cli", "admin:{email}", "key:{key id}" or "anonymous"; `request_id` defaults to
    the id of the request being served. Never put a key, token or password in `details`.
    """
    entry = AuditEvent(
        org_id=org_id,
        environment=environment,
        event=str(event),
        actor=_text(actor, 400),
        admin_id=admin_id,
        key_id=key_id,
        client_address=(client_address or None) and _text(client_address, 64),
        request_id=request_id or request_id_var.get(),
        details=details or {},
        created_at=clock.now(),
    )
    session.add(entry)
    await session.flush()
    return entry


async def set_details(
    session: AsyncSession, entry: AuditEvent | uuid.UUID, details: dict[str, Any]
) -> None:
    """Replace the details of an entry of this org's log, in the caller's transaction. Only for
    a running count that grows with the change it counts (the retention sweep writes one entry
    per org and round, raised with each batch, so it never says more than what committed)."""
    await repository.set_details(
        session, entry.id if isinstance(entry, AuditEvent) else entry, details
    )


def later(
    *,
    org_id: uuid.UUID,
    environment: str | None,
    event: AuditEventType | str,
    actor: str,
    admin_id: uuid.UUID | None = None,
    key_id: uuid.UUID | None = None,
    client_address: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event as `record` would add it, as values for `write_later` (the write-behind of
    events no change commits with, such as a failed log-in: a burst of them must not take the
    database's write lock once each)."""
    return {
        "id": new_id(),
        "org_id": org_id,
        "environment": environment,
        "event": str(event),
        "actor": _text(actor, 400),
        "admin_id": admin_id,
        "key_id": key_id,
        "client_address": (client_address or None) and _text(client_address, 64),
        "request_id": request_id_var.get(),
        "details": details or {},
        "created_at": clock.now(),
    }


async def write_later(session: AsyncSession, entries: dict[uuid.UUID, dict[str, Any]]) -> None:
    """The write-behind batch of `later` entries, in one statement."""
    await repository.insert_many(session, list(entries.values()))


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: Sequence[AuditEvent]
    next_cursor: str | None


async def list_events(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    event: str | None = None,
    admin_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AuditPage:
    """An org's events, newest first, filtered by event type, admin and a date range
    (`since` inclusive, `until` exclusive), a page at a time."""
    after = decode_position(cursor) if cursor else None
    rows = await repository.list_for_org(
        session,
        org_id,
        event=event,
        admin_id=admin_id,
        since=since,
        until=until,
        before=after,
        limit=limit + 1,
    )
    page, next_cursor = next_page(rows, limit, lambda row: (row.created_at, row.id))
    return AuditPage(page, next_cursor)
