"""The `jobs` table: one row per piece of background work (docs/architecture.md, Background work).

A row goes `queued` -> `running` (claimed: `lease_owner` and `lease_expires_at` set) -> `done`,
or back to `queued` with a later `run_after` after a failure, or `failed` once `max_attempts`
claims have ended badly. A `running` row whose lease has expired (its process died) is claimable
again. A periodic job is one row per kind (`unique_key`), put back to `queued` for its next round
after each run instead of becoming `done`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATES = (QUEUED, RUNNING, DONE, FAILED)


class Job(IdMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        # The claim: due queued rows, oldest first; and running rows whose lease ran out.
        Index("ix_jobs_state_run_after", "state", "run_after"),
        Index("ix_jobs_state_lease", "state", "lease_expires_at"),
    )

    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The tenant the work is for, where it has one (an import); None for maintenance (purges).
    org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), default=None, index=True
    )
    environment: Mapped[str | None] = mapped_column(String(16), default=None)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    run_after: Mapped[datetime] = mapped_column(default=clock.now)
    # Claims so far (a claim whose process died counts: a job that kills its process stops).
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    # Who runs it now ("host:pid:runner/claim"), and until when the claim holds unless renewed.
    lease_owner: Mapped[str | None] = mapped_column(String(128), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # At most one row per key: periodic jobs use "periodic:<kind>".
    unique_key: Mapped[str | None] = mapped_column(String(128), unique=True, default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
