from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from greenroom.core import clock
from greenroom.core.db import Base, IdMixin


class ImportJob(IdMixin, Base):
    """A CSV import of users: its rows wait here, and the page polls `processed` of `total`.

    The rows are stored (not kept in memory) so that the job survives a restart of the process
    that took the upload; `errors` lists each bad row as {"line", "partner_id", "message"}.
    The work is a background job (`job_id`, in `greenroom.jobs`): its lease, retries and
    resumption after a crash are the jobs module's; `processed` is where it resumes.
    """

    __tablename__ = "admin_import_jobs"
    __table_args__ = (Index("ix_admin_import_jobs_org_created", "org_id", "created_at"),)

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    environment: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(320))
    filename: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done|failed
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rows: Mapped[str] = mapped_column(Text, default="")  # the validated rows, JSON lines
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # The background job applying the rows (None once that job is forgotten).
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), default=None
    )
