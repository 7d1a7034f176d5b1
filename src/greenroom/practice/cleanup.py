"""Deletes a user's recordings when the user is deleted (the `user.deleted` event).

Events are published inside the deleting transaction, and files cannot be rolled back, so the
subscriber only notes the user's folder on the session: the folders go once that transaction
has committed, and are forgotten if it rolls back (or a savepoint around the delete does).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from greenroom.core import events
from greenroom.core.direct import Executor
from greenroom.practice.storage import Storage, user_folder
from greenroom.tenancy.context import Tenant

log = logging.getLogger("greenroom.practice")

_registered: dict[int, events.Subscriber] = {}
_PENDING = "greenroom.recordings_to_delete"


@dataclass(frozen=True, slots=True)
class _Pending:
    storage: Storage
    folder: str
    transaction: SessionTransaction | None  # the innermost one when the user was deleted


def subscribe_recordings_cleanup(storage: Storage) -> None:
    async def on_event(
        on: Executor, tenant: Tenant, event_type: str, data: Mapping[str, Any]
    ) -> None:
        if event_type != "user.deleted":
            return
        # Users are deleted through ORM sessions, whose commit the folders wait for.
        assert isinstance(on, AsyncSession), "user.deleted published outside an ORM session"
        session = on
        partner_id = (data.get("user") or {}).get("partner_id")
        if isinstance(partner_id, str):
            folder = user_folder(tenant.org_id, tenant.environment.value, partner_id)
            _delete_after_commit(session.sync_session, storage, folder)

    if id(storage) not in _registered:
        _registered[id(storage)] = on_event
        events.subscribe(on_event)


def _delete_after_commit(session: Session, storage: Storage, folder: str) -> None:
    pending: list[_Pending] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_soft_rollback)
        event.listen(session, "after_transaction_end", _after_transaction_end)
    transaction = session.get_nested_transaction() or session.get_transaction()
    pending.append(_Pending(storage, folder, transaction))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: not committed yet
        return
    pending: list[_Pending] = session.info[_PENDING]
    done = list(pending)
    pending.clear()
    for item in done:
        try:
            item.storage.delete_folder(item.folder)
        except Exception as exc:
            # The user is gone already; the files are left behind rather than failing the request.
            log.warning(
                "could not delete a deleted user's recordings",
                extra={"folder": item.folder, "error": type(exc).__name__},
            )


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """Forget the folders noted inside the transaction or savepoint that rolled back."""
    pending: list[_Pending] = session.info[_PENDING]
    pending[:] = [item for item in pending if not _inside(item.transaction, previous)]


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended (also by closing the session): nothing it noted is left."""
    if transaction.parent is None:
        session.info[_PENDING].clear()


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
