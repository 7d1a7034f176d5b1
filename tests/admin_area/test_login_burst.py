"""A burst of failed log-ins does not stall other tenants: nothing of a failed attempt takes the
database's write lock (the account is read in a read-only session, the password checked in a
thread, the audit entry written behind). Here a writer holds the write lock for the whole burst:
every guess is still answered, and the entries are written once the lock is free."""

from __future__ import annotations

import asyncio
from collections import Counter

from fastapi import FastAPI
from sqlalchemy import func, select, text

from greenroom.audit.models import AuditEvent
from tests.factories import make_admin, make_org

GUARD = 30  # seconds: a deadlock guard, not a performance goal


async def test_failed_log_ins_answer_while_another_transaction_holds_the_write_lock(
    app: FastAPI, browser_for
) -> None:
    org = await make_org(app)
    admin = await make_admin(app, org)

    async def guess(n: int) -> int:
        # An address and an account of its own each: the throttle is not what is under test.
        response = await browser_for(org.slug).log_in(f"nobody{n}@xyz.example.com", "guess")
        status: int = response.status_code
        return status

    async with app.state.database.writer() as holder:
        await holder.execute(
            text("UPDATE organizations SET name = name WHERE slug = :s"), {"s": org.slug}
        )
        statuses = await asyncio.wait_for(asyncio.gather(*(guess(n) for n in range(30))), GUARD)
        assert Counter(statuses) == {401: 30}
        await holder.rollback()
    await app.state.authenticator.drain()
    async with app.state.sessionmaker() as session:
        failed = await session.scalar(
            select(func.count()).where(
                AuditEvent.org_id == org.id, AuditEvent.event == "admin.login_failed"
            )
        )
    assert failed == 30
    assert admin  # the account exists; the guesses named others
