"""The audit log's reusable service: record, then list with filters and cursor pages."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from greenroom.audit import service as audit
from greenroom.audit.models import AuditEvent
from greenroom.audit.service import AuditEventType
from greenroom.core import clock
from greenroom.core.logging import request_id_var
from greenroom.core.pagination import InvalidCursor, encode_cursor
from tests.factories import make_org


async def test_record_takes_the_request_id_and_list_filters_and_pages(app) -> None:
    org, other = await make_org(app), await make_org(app)
    admin_a, admin_b = uuid.uuid4(), uuid.uuid4()
    start = clock.now()
    token = request_id_var.set("req-123")
    try:
        async with app.state.sessionmaker() as session, session.begin():
            for i in range(5):
                await audit.record(
                    session,
                    org_id=org.id,
                    environment=None,
                    event=AuditEventType.LOGIN_FAILED if i % 2 else AuditEventType.LOGIN_SUCCEEDED,
                    actor="admin:pat@xyz.example.com",
                    admin_id=admin_a if i < 3 else admin_b,
                    client_address="203.0.113.9",
                )
                clock.advance(timedelta(hours=1))
            await audit.record(
                session, org_id=other.id, environment="production", event="key.created", actor="cli"
            )
    finally:
        request_id_var.reset(token)

    async with app.state.sessionmaker() as session:
        everything = await audit.list_events(session, org.id)
        assert len(everything.events) == 5 and everything.next_cursor is None
        assert everything.events[0].created_at > everything.events[-1].created_at
        assert {e.request_id for e in everything.events} == {"req-123"}
        assert everything.events[0].client_address == "203.0.113.9"

        failed = await audit.list_events(session, org.id, event="admin.login_failed")
        assert len(failed.events) == 2
        by_admin = await audit.list_events(session, org.id, admin_id=admin_b)
        assert len(by_admin.events) == 2
        window = await audit.list_events(
            session, org.id, since=start + timedelta(hours=1), until=start + timedelta(hours=3)
        )
        assert len(window.events) == 2

        seen: list[AuditEvent] = []
        page = await audit.list_events(session, org.id, limit=2)
        seen += page.events
        while page.next_cursor:
            page = await audit.list_events(session, org.id, limit=2, cursor=page.next_cursor)
            seen += page.events
        assert [e.id for e in seen] == [e.id for e in everything.events]

        with pytest.raises(InvalidCursor):
            await audit.list_events(session, org.id, cursor="bm9wZQ")
        # A timestamp without a zone is not one we wrote: 400, not a database error.
        zoneless = encode_cursor([start.replace(tzinfo=None).isoformat(), str(uuid.uuid4())])
        with pytest.raises(InvalidCursor):
            await audit.list_events(session, org.id, cursor=zoneless)
