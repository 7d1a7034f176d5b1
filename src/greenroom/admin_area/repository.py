"""All SQL of the admin area's own: the read model of students (`admin_students`,
`admin_activity_weeks`) and its writes, the search and export of users over it, the dashboard's
aggregates, and CSV imports (`admin_import_jobs`). Other features' rows are read through their
repositories (admins, users, progress, content).

Every query of the read model is bound to one org and environment (`of_org_environment`, or the
`org_id` and `environment` values of a statement built once).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from greenroom.admin_area.models import ActivityWeek, ImportJob, Student
from greenroom.core.db import table_of
from greenroom.core.direct import Executor, Row, Statement, dialect_of, execute, execute_later
from greenroom.core.pagination import after_position
from greenroom.core.tenant import of_org_environment
from greenroom.practice.models import Interview
from greenroom.tenancy.context import Tenant
from greenroom.tenancy.hosts import Environment
from greenroom.users.models import User
from greenroom.users.service import PARTNER_ID_RE

# --- the read model's writes (the events subscriber, `students.record`) -------------------------
# Plain statements with every value given (`core.direct` runs them on the API's direct
# transactions as well as on ORM sessions).

_USERS = table_of(User)
_STUDENTS = table_of(Student)
_WEEKS = table_of(ActivityWeek)

_THE_USER = Statement(
    select(
        _USERS.c.id,
        _USERS.c.partner_id,
        _USERS.c.email,
        _USERS.c.first_name,
        _USERS.c.last_name,
        _USERS.c.anonymous,
        _USERS.c.created_at,
        _USERS.c.expires_at,
        _USERS.c.last_activity_at,
    ).where(
        _USERS.c.org_id == bindparam("org_id"),
        _USERS.c.environment == bindparam("environment"),
        _USERS.c.partner_id == bindparam("partner_id"),
    )
)


def _upsert(insert: Any) -> Statement:
    """The student's row, made or brought up to date (the counts stay as they are)."""
    statement = insert(_STUDENTS)
    new = statement.excluded
    return Statement(
        statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "name_key": new.name_key,
                "text": new.text,
                "anonymous": new.anonymous,
                "expires_at": new.expires_at,
            },
        )
    )


def _upsert_from_users(insert: Any, *where: ColumnElement[bool]) -> Statement:
    """The same upsert as one INSERT ... SELECT from the users row found by `where` (nothing
    when there is none), for a `user.*` event. Every column with a default is given, by a value
    or by name, so that `core.direct` adds none of its own."""
    source = select(
        _USERS.c.id,
        _USERS.c.org_id,
        _USERS.c.environment,
        bindparam("name_key", type_=_STUDENTS.c.name_key.type),
        bindparam("text", type_=_STUDENTS.c.text.type),
        _USERS.c.anonymous,
        _USERS.c.created_at,
        _USERS.c.expires_at,
        _USERS.c.last_activity_at,
        bindparam("lessons_completed", type_=_STUDENTS.c.lessons_completed.type),
        bindparam("interviews_started", type_=_STUDENTS.c.interviews_started.type),
        bindparam("interviews_completed", type_=_STUDENTS.c.interviews_completed.type),
    ).where(*where)
    columns = [
        "user_id", "org_id", "environment", "name_key", "text", "anonymous", "created_at",
        "expires_at", "last_activity_at", "lessons_completed", "interviews_started",
        "interviews_completed",
    ]  # fmt: skip
    statement = insert(_STUDENTS).from_select(columns, source)
    new = statement.excluded
    return Statement(
        statement.on_conflict_do_update(
            index_elements=["user_id"],
            set_={
                "name_key": new.name_key,
                "text": new.text,
                "anonymous": new.anonymous,
                "expires_at": new.expires_at,
            },
        )
    )


def _upsert_by_partner_id(insert: Any) -> Statement:
    return _upsert_from_users(
        insert,
        _USERS.c.org_id == bindparam("of_org"),
        _USERS.c.environment == bindparam("of_environment"),
        _USERS.c.partner_id == bindparam("of_partner_id"),
    )


def _upsert_by_user_id(insert: Any) -> Statement:
    # The primary key alone: the one index that can serve it, whatever the planner's statistics
    # say. With (org_id, environment) beside it, PostgreSQL planned the by-partner_id upsert on
    # a new database (no statistics yet) with another (org_id, environment, ...) index and read
    # every user of the org on each create (docs/decisions.md, "Every create is a create").
    return _upsert_from_users(insert, _USERS.c.id == bindparam("of_user"))


def _note_week(insert: Any) -> Statement:
    return Statement(insert(_WEEKS).on_conflict_do_nothing(index_elements=["user_id", "week"]))


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite_dialect.insert}
_UPSERTS = {name: _upsert(insert) for name, insert in _INSERTS.items()}
_UPSERTS_BY_PARTNER_ID = {name: _upsert_by_partner_id(i) for name, i in _INSERTS.items()}
_UPSERTS_BY_USER_ID = {name: _upsert_by_user_id(i) for name, i in _INSERTS.items()}
_WEEK_NOTES = {name: _note_week(insert) for name, insert in _INSERTS.items()}
_PROGRESS = Statement(
    _STUDENTS.update()
    .where(_STUDENTS.c.user_id == bindparam("student"))
    .values(
        lessons_completed=bindparam("lessons"),
        interviews_started=bindparam("started"),
        interviews_completed=bindparam("completed"),
        last_activity_at=bindparam("now", type_=_STUDENTS.c.last_activity_at.type),
    )
)
_SIGNED_IN = Statement(
    _STUDENTS.update()
    .where(_STUDENTS.c.user_id == bindparam("student"))
    .values(last_activity_at=bindparam("now", type_=_STUDENTS.c.last_activity_at.type))
)


def _tenant_values(tenant: Tenant) -> dict[str, Any]:
    return {"org_id": tenant.org_id, "environment": tenant.environment.value}


async def user_for_student(on: Executor, tenant: Tenant, partner_id: str) -> Row | None:
    """What the read model holds of the tenant's user `partner_id` (expired or not), from the
    users row; None when there is none."""
    values = {**_tenant_values(tenant), "partner_id": partner_id}
    return (await execute(on, _THE_USER, values)).first()


async def upsert_student(
    on: Executor, tenant: Tenant, user: Mapping[str, Any], index: Mapping[str, str]
) -> None:
    """The student's row from `user` (a row of `user_for_student`) and its search `index`
    (`name_key`, `text`), made with zero counts or brought up to date."""
    await execute(
        on,
        _UPSERTS[dialect_of(on)],
        {
            "user_id": user["id"],
            **_tenant_values(tenant),
            **index,
            "anonymous": user["anonymous"],
            "created_at": user["created_at"],
            "expires_at": user["expires_at"],
            "last_activity_at": user["last_activity_at"],
            "lessons_completed": 0,
            "interviews_started": 0,
            "interviews_completed": 0,
        },
    )


# Named so that `core.direct` adds no default for them; the users row gives them.
_FROM_THE_USERS_ROW = {
    "anonymous": None,
    "expires_at": None,
    "lessons_completed": 0,
    "interviews_started": 0,
    "interviews_completed": 0,
}


async def upsert_student_of_partner_id(
    on: Executor, tenant: Tenant, partner_id: str, index: Mapping[str, str]
) -> None:
    """The same as `upsert_student` in one statement on the write path (the users row is read
    inside it); nothing when the tenant has no user `partner_id`."""
    await execute_later(
        on,
        _UPSERTS_BY_PARTNER_ID[dialect_of(on)],
        {
            "of_org": tenant.org_id,
            "of_environment": tenant.environment.value,
            "of_partner_id": partner_id,
            **index,
            **_FROM_THE_USERS_ROW,
        },
    )


async def upsert_student_of_user(
    on: Executor, user_id: uuid.UUID, index: Mapping[str, str]
) -> None:
    """`upsert_student_of_partner_id` for the users row `user_id`: an id that the change which
    published the event found or made in its tenant (never one a request sent), so the student
    row gets that row's own org and environment."""
    await execute_later(
        on,
        _UPSERTS_BY_USER_ID[dialect_of(on)],
        {"of_user": user_id, **index, **_FROM_THE_USERS_ROW},
    )


async def set_student_progress(
    on: Executor, user_id: uuid.UUID, now: datetime, *, lessons: int, started: int, completed: int
) -> bool:
    """The student's counts and last activity; False when they have no row."""
    values = {
        "student": user_id,
        "now": now,
        "lessons": lessons,
        "started": started,
        "completed": completed,
    }
    return (await execute(on, _PROGRESS, values)).rowcount != 0


async def set_student_active(on: Executor, user_id: uuid.UUID, now: datetime) -> bool:
    """The student's last activity; False when they have no row."""
    return (await execute(on, _SIGNED_IN, {"student": user_id, "now": now})).rowcount != 0


async def note_active_week(on: Executor, tenant: Tenant, user_id: uuid.UUID, week: date) -> None:
    """The student was active in `week` (once per student and week)."""
    await execute(
        on,
        _WEEK_NOTES[dialect_of(on)],
        {"user_id": user_id, "week": week, **_tenant_values(tenant)},
    )


# --- the users' search and export (`users_view`) ----------------------------------------------


def live(now: datetime) -> ColumnElement[bool]:
    """Students who exist for the API: anonymous ones only within their 24 hours (the rule of
    `users.repository.active`, on the read model)."""
    return or_(Student.expires_at.is_(None), Student.expires_at > now)


@dataclass(frozen=True, slots=True)
class StudentFilter:
    """Which students of one org and environment a view of users shows, as values (what the
    admin's query means is `users_view`'s)."""

    org_id: uuid.UUID
    environment: Environment
    now: datetime
    text: str = ""  # a folded search term (`students.fold`); "" for none
    anonymous: bool | None = None
    never_active: bool = False
    active_before: datetime | None = None
    active_since: datetime | None = None
    lessons: tuple[int, int] | None = None  # completed lessons, lowest and highest


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(chosen: StudentFilter) -> Select[Any]:
    """The students of the filter, from the read model: the org and environment first, then
    the search and the filters."""
    stmt = select(Student.user_id).where(
        of_org_environment(Student, chosen.org_id, chosen.environment), live(chosen.now)
    )
    if chosen.text:
        stmt = stmt.where(Student.text.like(_like_pattern(chosen.text), escape="\\"))
    if chosen.anonymous is not None:
        stmt = stmt.where(Student.anonymous.is_(chosen.anonymous))
    if chosen.never_active:
        stmt = stmt.where(Student.last_activity_at.is_(None))
    if chosen.active_before is not None:
        stmt = stmt.where(Student.last_activity_at < chosen.active_before)
    if chosen.active_since is not None:
        stmt = stmt.where(Student.last_activity_at >= chosen.active_since)
    if chosen.lessons is not None:
        stmt = stmt.where(Student.lessons_completed.between(*chosen.lessons))
    return stmt


SORT_COLUMNS = ("id", "user_id", "name_key", "last_activity_at", "lessons_completed", "created_at")


def _ordered(stmt: Select[Any], sort: str, rows: Any = None) -> Select[Any]:
    """`stmt` in the order of `sort`, over the read model's columns (or those of `rows`, a CTE
    of them)."""
    c = rows.c if rows is not None else Student
    if sort == "name":
        return stmt.order_by(c.name_key, c.id)
    if sort == "activity":
        return stmt.order_by(c.last_activity_at.desc().nulls_last(), c.id)
    if sort == "progress":
        return stmt.order_by(c.lessons_completed.desc(), c.id)
    return stmt.order_by(c.created_at.desc(), c.id.desc())


async def count_students(session: AsyncSession, chosen: StudentFilter) -> int:
    stmt = _filtered(chosen)
    return int(
        (await session.execute(select(func.count()).select_from(stmt.subquery()))).scalar_one()
    )


async def page_of_user_ids(
    session: AsyncSession, chosen: StudentFilter, sort: str, *, offset: int, limit: int
) -> list[uuid.UUID]:
    """The user ids of one page of the filter's students in the order of `sort` ("name",
    "activity", "progress"; anything else: newest first). A search's matches are collected
    first (a materialized CTE) and sorted after: otherwise the planner may walk the sort's
    index and test each row's text until it has a page, which for a rare match reads the whole
    org's rows."""
    stmt = _filtered(chosen)
    if not chosen.text:
        page = _ordered(stmt, sort).limit(limit).offset(offset)
    else:
        columns = [getattr(Student, name) for name in SORT_COLUMNS]
        hits = stmt.with_only_columns(*columns).cte("hits").prefix_with("MATERIALIZED")
        page = _ordered(select(hits.c.user_id), sort, hits).limit(limit).offset(offset)
    return list((await session.execute(page)).scalars())


async def users_by_ids(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, User]:
    if not ids:
        return {}
    loaded = await session.execute(select(User).where(User.id.in_(list(ids))))
    return {user.id: user for user in loaded.scalars()}


async def user_by_partner_id(
    session: AsyncSession, org_id: uuid.UUID, environment: Environment, partner_id: str
) -> User | None:
    """The user of the org's environment, expired or not. None for a text no partner_id can be
    (a NUL in a page's path reached PostgreSQL, which refuses it in text: a 500)."""
    if not PARTNER_ID_RE.fullmatch(partner_id):
        return None
    result = await session.execute(
        select(User).where(
            of_org_environment(User, org_id, environment),
            User.partner_id == partner_id,
        )
    )
    return result.scalar_one_or_none()


async def export_batch(
    session: AsyncSession, chosen: StudentFilter, *, after: User | None, limit: int
) -> Sequence[User]:
    """Up to `limit` of the filter's users in the order (created_at, id), after `after` (keyset
    pagination, so that every batch costs the same)."""
    stmt = (
        select(User)
        .where(User.id.in_(_filtered(chosen).scalar_subquery()))
        .order_by(User.created_at, User.id)
    )
    if after is not None:
        position = (
            literal(after.created_at, User.created_at.type),
            literal(after.id, User.id.type),
        )
        stmt = stmt.where(after_position(User.created_at, User.id, position))
    return (await session.execute(stmt.limit(limit))).scalars().all()


# --- the dashboard's aggregates (`dashboard`) --------------------------------------------------


async def students_by_lessons(
    session: AsyncSession,
    org_id: uuid.UUID,
    environment: Environment,
    *,
    now: datetime,
    cohort_since: datetime | None,
    inactive_since: datetime,
) -> list[RowMapping]:
    """One scan of the org's live students (over the covering `ix_admin_students_cohort`),
    grouped by lessons completed: per group `lessons`, `students` (all), `cohort` (added since
    `cohort_since`; all without it), and of the cohort `signed_in`, `started` and `completed`
    (an interview); of all, `never` (signed in) and `inactive` (no activity since
    `inactive_since`). Sums are None in a group where nothing counted (SUM over no 1s)."""
    lessons = Student.lessons_completed.label("lessons")
    in_cohort: ColumnElement[bool] = (
        literal(True) if cohort_since is None else Student.created_at >= cohort_since
    )
    signed_in = Student.last_activity_at.is_not(None)

    def count_if(*conditions: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((and_(*conditions), 1), else_=0))

    stmt = (
        select(
            lessons,
            func.count().label("students"),
            count_if(in_cohort).label("cohort"),
            count_if(in_cohort, signed_in).label("signed_in"),
            count_if(in_cohort, Student.interviews_started > 0).label("started"),
            count_if(in_cohort, Student.interviews_completed > 0).label("completed"),
            count_if(Student.last_activity_at.is_(None)).label("never"),
            count_if(Student.last_activity_at < inactive_since).label("inactive"),
        )
        .where(of_org_environment(Student, org_id, environment), live(now))
        .group_by(lessons)
    )
    return list((await session.execute(stmt)).mappings())


async def first_active_week(
    session: AsyncSession, org_id: uuid.UUID, environment: Environment
) -> date | None:
    """The earliest week any student of the org's environment was active in."""
    return await session.scalar(
        select(func.min(ActivityWeek.week)).where(
            of_org_environment(ActivityWeek, org_id, environment)
        )
    )


async def active_students_per_week(
    session: AsyncSession, org_id: uuid.UUID, environment: Environment, *, since: date
) -> dict[date, int]:
    """Students active per week from the week `since` on (weeks without any left out)."""
    rows = await session.execute(
        select(ActivityWeek.week, func.count())
        .where(
            of_org_environment(ActivityWeek, org_id, environment),
            ActivityWeek.week >= since,
        )
        .group_by(ActivityWeek.week)
    )
    return {week: int(n) for week, n in rows}


async def question_set_use(
    session: AsyncSession,
    org_id: uuid.UUID,
    environment: Environment,
    *,
    since: datetime | None,
    limit: int,
) -> list[tuple[str, int, int]]:
    """The most used question sets: (slug, interviews started, students) of the interviews
    started since `since` (ever, without it), most interviews first (over the covering
    `ix_practice_interviews_org_env_created`)."""
    interviews = func.count().label("interviews")
    stmt = (
        select(Interview.set_slug, interviews, func.count(distinct(Interview.user_id)))
        .where(of_org_environment(Interview, org_id, environment))
        .group_by(Interview.set_slug)
        .order_by(interviews.desc(), Interview.set_slug)
        .limit(limit)
    )
    if since is not None:
        stmt = stmt.where(Interview.created_at >= since)
    return [(slug, int(n), int(students)) for slug, n, students in await session.execute(stmt)]


# --- CSV imports (`imports`) --------------------------------------------------------------------


async def recent_imports(
    session: AsyncSession, org_id: uuid.UUID, limit: int
) -> Sequence[ImportJob]:
    """The org's latest imports, newest first."""
    result = await session.execute(
        select(ImportJob)
        .where(ImportJob.org_id == org_id)
        .order_by(ImportJob.created_at.desc())
        .limit(limit)
    )
    return result.scalars().all()


async def processed_locked(session: AsyncSession, import_id: uuid.UUID) -> int | None:
    """How many of the import's rows are applied, its row locked for the transaction (so two
    claims of one job never apply one batch); None when the import is gone."""
    result = await session.execute(
        select(ImportJob.processed).where(ImportJob.id == import_id).with_for_update()
    )
    return result.scalar_one_or_none()


async def finish_import(
    session: AsyncSession, import_id: uuid.UUID, status: str, now: datetime, *, drop_rows: bool
) -> None:
    """The import ended with `status` ("done" or "failed") at `now`; `drop_rows`: its stored
    rows are no longer needed."""
    values: dict[str, Any] = {"status": status, "finished_at": now}
    if drop_rows:
        values["rows"] = ""
    await session.execute(update(ImportJob).where(ImportJob.id == import_id).values(values))
