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
- Search is `text LIKE '%term%'` (the term folded too; the statements are in `repository`),
  indexed per database (migration 0012):
  PostgreSQL has a GIN trigram index (`pg_trgm`) on `text`, which serves it for terms of three
  characters or more; SQLite has a covering index on (org_id, environment, text, expires_at), so the match
  reads the org's slice of that index, never the table (an FTS5 trigram index found rows as fast
  but cost about 0.2 ms of CPU on every user create; see docs/decisions.md).
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from greenroom.admin_area import repository
from greenroom.core import clock
from greenroom.core.direct import Executor
from greenroom.tenancy.context import Tenant

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


# --- the subscriber ----------------------------------------------------------------------------


def _partner_id(data: Mapping[str, Any]) -> str | None:
    for kind in ("progress", "user"):
        found = data.get(kind)
        if isinstance(found, Mapping) and isinstance(found.get("partner_id"), str):
            partner_id: str = found["partner_id"]
            return partner_id
    return None


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


async def record(
    on: Executor,
    tenant: Tenant,
    event_type: str,
    data: Mapping[str, Any],
    *,
    user_id: uuid.UUID | None = None,
) -> None:
    """The events subscriber (see the module's docstring)."""
    if event_type not in ("user.created", "user.updated", "progress.updated", "sso.redeemed"):
        return
    partner_id = _partner_id(data)
    if partner_id is None:
        return
    if event_type in ("user.created", "user.updated"):
        user = data["user"]
        if user_id is not None:  # the users row by its primary key (`upsert_student_of_user`)
            await repository.upsert_student_of_user(on, user_id, index_values(user))
        else:
            await repository.upsert_student_of_partner_id(
                on, tenant, user["partner_id"], index_values(user)
            )
        return
    found = await repository.user_for_student(on, tenant, partner_id)
    if found is None:
        return
    user_id, now = found["id"], clock.now()
    counts = _counts(data.get("progress")) if event_type == "progress.updated" else None

    async def write() -> bool:
        if counts is not None:
            return await repository.set_student_progress(on, user_id, now, **counts)
        return await repository.set_student_active(on, user_id, now)

    if not await write():
        # A user made before the read model (or outside the service): its row first.
        await repository.upsert_student(on, tenant, found, index_values(found))
        await write()
    await repository.note_active_week(on, tenant, user_id, week_of(now))
