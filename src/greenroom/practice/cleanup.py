"""Recording files follow the transaction that changes their rows.

Files cannot be rolled back, so a change notes on the session what to do with them, and it is
done when the transaction ends:

- `delete_after_commit`: a deleted user's folder (the `user.deleted` event), a deleted or
  replaced answer's recording. Deleted once the transaction has committed; forgotten if it (or
  a savepoint around the change) rolls back.
- `delete_unless_committed`: a recording just stored for a new answer. Kept when the
  transaction commits; deleted if it (or the savepoint around it) rolls back, or the session
  closes without committing, so a failed answer leaves no file behind.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

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
When = Literal["commit", "rollback"]


@dataclass(frozen=True, slots=True)
class _Pending:
    storage: Storage
    when: When  # delete after the commit, or unless committed
    folder: str | None  # a user's whole folder ...
    key: str | None  # ... or one file
    transaction: SessionTransaction | None  # the innermost one when it was noted

    def run(self) -> None:
        try:
            if self.folder is not None:
                self.storage.delete_folder(self.folder)
            elif self.key is not None:
                self.storage.delete(self.key)
        except Exception as exc:
            # The rows are gone already; the files are left behind rather than failing.
            log.warning(
                "could not delete recordings",
                extra={"folder": self.folder, "key": self.key, "error": type(exc).__name__},
            )


def subscribe_recordings_cleanup(storage: Storage) -> None:
    async def on_event(
        on: Executor,
        tenant: Tenant,
        event_type: str,
        data: Mapping[str, Any],
        *,
        user_id: uuid.UUID | None = None,
    ) -> None:
        if event_type != "user.deleted":
            return
        # Users are deleted through ORM sessions, whose commit the folders wait for.
        assert isinstance(on, AsyncSession), "user.deleted published outside an ORM session"
        session = on
        partner_id = (data.get("user") or {}).get("partner_id")
        if isinstance(partner_id, str):
            folder = user_folder(tenant.org_id, tenant.environment.value, partner_id)
            _note(session.sync_session, _Pending(storage, "commit", folder, None, None))

    if id(storage) not in _registered:
        _registered[id(storage)] = on_event
        events.subscribe(on_event)


def delete_after_commit(session: AsyncSession, storage: Storage, key: str) -> None:
    """Delete the recording `key` once this session's transaction commits."""
    _note(session.sync_session, _Pending(storage, "commit", None, key, None))


def delete_unless_committed(session: AsyncSession, storage: Storage, key: str) -> None:
    """Delete the recording `key` (just stored) unless this session's transaction commits."""
    _note(session.sync_session, _Pending(storage, "rollback", None, key, None))


def _note(session: Session, item: _Pending) -> None:
    pending: list[_Pending] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_soft_rollback)
        event.listen(session, "after_transaction_end", _after_transaction_end)
    transaction = session.get_nested_transaction() or session.get_transaction()
    pending.append(_Pending(item.storage, item.when, item.folder, item.key, transaction))


def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: not committed yet
        return
    pending: list[_Pending] = session.info[_PENDING]
    done = list(pending)
    pending.clear()
    for item in done:
        if item.when == "commit":
            item.run()


def _after_soft_rollback(session: Session, previous: SessionTransaction) -> None:
    """What was noted inside the transaction or savepoint that rolled back: files to delete
    after a commit are kept, new files are deleted."""
    pending: list[_Pending] = session.info[_PENDING]
    undone = [item for item in pending if _inside(item.transaction, previous)]
    pending[:] = [item for item in pending if not _inside(item.transaction, previous)]
    for item in undone:
        if item.when == "rollback":
            item.run()


def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended (also by closing the session): nothing it noted is left;
    new files of a transaction that did not commit are deleted."""
    if transaction.parent is None:
        pending: list[_Pending] = session.info[_PENDING]
        left = list(pending)
        pending.clear()
        for item in left:
            if item.when == "rollback":
                item.run()


def _inside(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False
