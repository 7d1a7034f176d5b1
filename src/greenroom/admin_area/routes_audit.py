"""Audit log: who did what, filtered by event, admin and date, newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from greenroom.admin_area import service
from greenroom.admin_area.deps import AdminDep
from greenroom.admin_area.pages import page
from greenroom.audit import service as audit
from greenroom.core.db import SessionDep

router = APIRouter(include_in_schema=False)
PATH = "/admin/audit"
EVENTS = (*(e.value for e in audit.AuditEventType), *service.ADMIN_EVENTS)
# The event filter's groups, by the event's first word.
GROUPS = {
    "key": "Keys", "token": "Tokens", "admin": "Admins and log-ins", "users": "Users",
    "sandbox": "Users", "recording": "Coaching", "answer": "Coaching",
    "question_set": "Question sets", "question_category": "Question sets", "webhook": "Webhooks", "org": "Privacy",
    "recordings": "Privacy",
}  # fmt: skip


def grouped_events() -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for event in EVENTS:
        groups.setdefault(GROUPS.get(event.split(".")[0], "Other"), []).append(event)
    return list(groups.items())


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get(PATH)
async def audit_page(
    request: Request,
    session: SessionDep,
    ctx: AdminDep,
    event: Annotated[str, Query(max_length=64, pattern=r"^[^\x00-\x1f\x7f]*$")] = "",
    admin: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    try:
        admin_id = uuid.UUID(admin) if admin else None
    except ValueError:
        admin_id = None
    start, end = _day(since), _day(until)
    result = await audit.list_events(
        session,
        ctx.tenant.org_id,
        event=event or None,
        admin_id=admin_id,
        # Whole days in UTC: from the start of `since` to the end of `until`.
        since=datetime.combine(start, time(), tzinfo=UTC) if start else None,
        # (The end of 9999-12-31 is no bound: Python's times stop there.)
        until=datetime.combine(end, time(), tzinfo=UTC) + timedelta(days=1)
        if end and end < date.max
        else None,
        limit=50,
        cursor=cursor,
    )
    filters = {"event": event, "admin": admin, "since": since, "until": until}
    return page(
        request,
        ctx,
        "admin/audit.html",
        {
            "result": result,
            "filters": filters,
            "events": grouped_events(),
            "admins": await service.list_admins(session, ctx.tenant),
        },
        section="audit",
    )
