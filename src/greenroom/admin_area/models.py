from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
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
    # Rows whose user already had exactly these values (nothing written, no event).
    unchanged_count: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rows: Mapped[str] = mapped_column(Text, default="")  # the validated rows, JSON lines
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    # The background job applying the rows (None once that job is forgotten).
    job_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), default=None
    )


class Student(Base):
    """The admin area's read model of a user: what the Users page searches, filters and sorts
    on, and what the dashboard counts, in one narrow row per user with the indexes they need.

    Kept up to date in the transaction of every change it reflects, by subscribers of the domain
    events (`admin_area.students`): `user.created` and `user.updated` (names, email, partner_id,
    folded for search), `progress.updated` (lessons and interviews, last activity) and
    `sso.redeemed` (last activity). It goes with the user (ON DELETE CASCADE); migration 0012
    filled it for the users there were.

    `text` is the user's names, email and partner_id folded (lower case, accents and other marks
    removed), so "garcia" finds "García"; `name_key` the folded "last first", for sorting.
    Substring search (`text LIKE '%term%'`) is indexed per database by migration 0012, outside
    this model: on PostgreSQL a GIN trigram index (`pg_trgm`) on `text`, on SQLite a covering
    index on (org_id, environment, text, expires_at).
    """

    __tablename__ = "admin_students"
    __table_args__ = (
        # Newest first (`id` breaks ties, so deep pages need no sort), and the dashboard's one
        # scan: it covers every column the dashboard, the counts and a page of ids read.
        Index(
            "ix_admin_students_cohort",
            "org_id",
            "environment",
            "created_at",
            "id",
            "last_activity_at",
            "lessons_completed",
            "interviews_started",
            "interviews_completed",
            "expires_at",
            "anonymous",
            "user_id",
        ),
        Index("ix_admin_students_name", "org_id", "environment", "name_key"),
        # Sorting and filtering by last activity or progress read the cohort index (the org's
        # slice of it); an index of their own would be written by every activity.
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    org_id: Mapped[uuid.UUID] = mapped_column()
    environment: Mapped[str] = mapped_column(String(16))
    # Compared byte by byte on PostgreSQL too (`C`), as on SQLite: the text is folded already,
    # and the order must not depend on the server's locale.
    name_key: Mapped[str] = mapped_column(
        String(420).with_variant(String(420, collation="C"), "postgresql"), default=""
    )
    text: Mapped[str] = mapped_column(Text, default="")
    anonymous: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_activity_at: Mapped[datetime | None] = mapped_column(default=None)
    lessons_completed: Mapped[int] = mapped_column(default=0)
    interviews_started: Mapped[int] = mapped_column(default=0)
    interviews_completed: Mapped[int] = mapped_column(default=0)


class ActivityWeek(Base):
    """A week (its Monday, UTC) in which a user did anything in the practice app: signed in,
    completed a lesson, started an interview, answered. One row per user and week, written by
    `admin_area.students` (a subscriber of the `sso.redeemed` and `progress.updated` events), so
    that "students active per week" is a count over an index, never a scan of the activity."""

    __tablename__ = "admin_activity_weeks"
    __table_args__ = (
        Index("ix_admin_activity_weeks_org_env_week", "org_id", "environment", "week"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[date] = mapped_column(primary_key=True)
    org_id: Mapped[uuid.UUID] = mapped_column()
    environment: Mapped[str] = mapped_column(String(16))
