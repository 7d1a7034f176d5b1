"""The admin area's read model of students (`admin_students`, `admin_activity_weeks`), kept up to
date by subscribing to the domain events, and the folding that makes search forgiving.

- `fold` is the one normalisation, applied to what is stored and to what is typed: lower case
  (Unicode case folding), accents and other combining marks removed, and a few letters that do
  not decompose written out (ø -> o, ł -> l, æ -> ae, ß -> ss...). So "garcia" finds "García",
  and "GARCÍA" finds "Garcia".
- `record` subscribes to the events every change publishes in its own transaction, so the read
  model commits or rolls back with the change:
  `user.created` / `user.updated` (the service is the only way users are made or changed) write
  the student's row: folded names, email and partner_id, and what the users row holds
  (created_at, anonymous, expires_at); `progress.updated` (a lesson completed, an interview
  started, an answer saved) writes the counts and the last activity; `sso.redeemed` (a sign-in)
  the last activity. The last two also note the week in `admin_activity_weeks`. A student's rows
  go with the user (ON DELETE CASCADE).
- Search is `text LIKE '%term%'` (the term folded too), indexed per database (migration 0012):
  PostgreSQL has a GIN trigram index (`pg_trgm`) on `text`, which serves it for terms of three
  characters or more; SQLite has a covering index on (org_id, environment, text, expires_at), so the match
  reads the org's slice of that index, never the table (an FTS5 trigram index found rows as fast
  but cost about 0.2 ms of CPU on every user create; see docs/decisions.md).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect

from greenroom.admin_area.models import ActivityWeek, Student
from greenroom.core import clock
from greenroom.core.db import table_of
from greenroom.core.direct import Executor, Statement, dialect_of, execute
from greenroom.tenancy.context import Tenant
from greenroom.users.models import User

# Letters that NFKD leaves whole, written as their usual ASCII spelling.
_LETTERS = str.maketrans(
    {
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "\u0131": "i",
        "ħ": "h",
    }
)


def fold(value: str | None) -> str:
    """Lower case without accents, whitespace collapsed (see the module's docstring); control
    characters count as spaces and lone surrogates are dropped (neither database stores them)."""
    if not value:
        return ""
    if value.isascii() and value.isprintable():  # most names and every email
        return " ".join(value.lower().split())
    value = value.encode("utf-8", "ignore").decode("utf-8")
    value = "".join(c if c.isprintable() else " " for c in value)
    lowered = value.casefold().translate(_LETTERS)
    decomposed = unicodedata.normalize("NFKD", lowered)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())


def search_text(user: Mapping[str, Any]) -> str:
    """The folded text searched for a user: names, then email, then partner_id, a line each."""
    name = fold(f"{user.get('first_name') or ''} {user.get('last_name') or ''}")
    return "\n".join((name, fold(user.get("email")), fold(user.get("partner_id"))))


def name_key(user: Mapping[str, Any]) -> str:
    """What sorting by name compares: the folded last name, then the first name."""
    return fold(f"{user.get('last_name') or ''} {user.get('first_name') or ''}")[:420]


def index_values(user: Mapping[str, Any]) -> dict[str, str]:
    return {"name_key": name_key(user), "text": search_text(user)}


def week_of(at: datetime | date) -> date:
    """The Monday (UTC) of the week `at` falls in."""
    day = at.date() if isinstance(at, datetime) else at
    return day - timedelta(days=day.weekday())


# --- the statements ----------------------------------------------------------------------------
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


def _upsert_by_partner_id(insert: Any) -> Statement:
    """The same upsert as one INSERT ... SELECT from the users row found by (org, environment,
    partner_id) (nothing when there is none), for a `user.*` event. Every column with a default
    is given, by a value or by name, so that `core.direct` adds none of its own."""
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
    ).where(
        _USERS.c.org_id == bindparam("of_org"),
        _USERS.c.environment == bindparam("of_environment"),
        _USERS.c.partner_id == bindparam("of_partner_id"),
    )
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


def _note_week(insert: Any) -> Statement:
    return Statement(insert(_WEEKS).on_conflict_do_nothing(index_elements=["user_id", "week"]))


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite_dialect.insert}
_UPSERTS = {name: _upsert(insert) for name, insert in _INSERTS.items()}
_UPSERTS_BY_PARTNER_ID = {name: _upsert_by_partner_id(i) for name, i in _INSERTS.items()}
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


# --- the subscriber ----------------------------------------------------------------------------


def _partner_id(data: Mapping[str, Any]) -> str | None:
    for kind in ("progress", "user"):
        found = data.get(kind)
        if isinstance(found, Mapping) and isinstance(found.get("partner_id"), str):
            partner_id: str = found["partner_id"]
            return partner_id
    return None


async def _write_row(on: Executor, tenant: Tenant, user: Mapping[str, Any]) -> None:
    await execute(
        on,
        _UPSERTS[dialect_of(on)],
        {
            "user_id": user["id"],
            "org_id": tenant.org_id,
            "environment": tenant.environment.value,
            **index_values(user),
            "anonymous": user["anonymous"],
            "created_at": user["created_at"],
            "expires_at": user["expires_at"],
            "last_activity_at": user["last_activity_at"],
            "lessons_completed": 0,
            "interviews_started": 0,
            "interviews_completed": 0,
        },
    )


async def _write_from_event(on: Executor, tenant: Tenant, user: Mapping[str, Any]) -> None:
    """The row of a user just made or changed: one statement on the write path (the users row
    is read inside it); nothing when the user is not there."""
    await execute(
        on,
        _UPSERTS_BY_PARTNER_ID[dialect_of(on)],
        {
            "of_org": tenant.org_id,
            "of_environment": tenant.environment.value,
            "of_partner_id": user["partner_id"],
            **index_values(user),
            # Named so that `core.direct` adds no default for them; the users row gives them.
            "anonymous": None,
            "expires_at": None,
            "lessons_completed": 0,
            "interviews_started": 0,
            "interviews_completed": 0,
        },
    )


def _counts(progress: object) -> dict[str, int] | None:
    """The counts of a public progress object (None when it lacks them)."""
    if not isinstance(progress, Mapping):
        return None
    lessons, interviews = progress.get("lessons"), progress.get("practice_interviews")
    if not isinstance(lessons, Mapping) or not isinstance(interviews, Mapping):
        return None
    try:
        return {
            "lessons": int(lessons["completed"]),
            "started": int(interviews["started"]),
            "completed": int(interviews["completed"]),
        }
    except (KeyError, TypeError, ValueError):
        return None


async def record(on: Executor, tenant: Tenant, event_type: str, data: Mapping[str, Any]) -> None:
    """The events subscriber (see the module's docstring)."""
    if event_type not in ("user.created", "user.updated", "progress.updated", "sso.redeemed"):
        return
    partner_id = _partner_id(data)
    if partner_id is None:
        return
    if event_type in ("user.created", "user.updated"):
        await _write_from_event(on, tenant, data["user"])
        return
    the_user = {
        "org_id": tenant.org_id,
        "environment": tenant.environment.value,
        "partner_id": partner_id,
    }
    user = (await execute(on, _THE_USER, the_user)).first()
    if user is None:
        return
    now = clock.now()
    counts = _counts(data.get("progress")) if event_type == "progress.updated" else None
    if counts is not None:
        statement, values = _PROGRESS, counts
    else:
        statement, values = _SIGNED_IN, {}
    changed = await execute(on, statement, {"student": user["id"], "now": now, **values})
    if changed.rowcount == 0:
        # A user made before the read model (or outside the service): its row first.
        await _write_row(on, tenant, user)
        await execute(on, statement, {"student": user["id"], "now": now, **values})
    await execute(
        on,
        _WEEK_NOTES[dialect_of(on)],
        {
            "user_id": user["id"],
            "week": week_of(now),
            "org_id": tenant.org_id,
            "environment": tenant.environment.value,
        },
    )


# --- matching -----------------------------------------------------------------------------------


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matches(term: str) -> ColumnElement[bool] | None:
    """The condition on `admin_students` for rows whose text contains `term` (folded here);
    None when there is nothing to look for."""
    folded = fold(term)
    if not folded:
        return None
    return Student.text.like(_like_pattern(folded), escape="\\")
